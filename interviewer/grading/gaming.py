"""Text that tries to move the grade instead of telling the story: it is evidence of nothing.

Three kinds, each judged by its form, not by a list of attack strings:
- words addressed to whoever or whatever grades the answer (the grader, the rubric, "this answer", a score);
- claims of coverage: a sentence that names several rubric signals as topics ("I covered impact, detection and
  prevention") rather than telling what happened;
- bare term lists: a run of incident jargon with no story around it (no function words, no numbers, no actor);
- self-grading: what the story "demonstrates" about the candidate, a self-assessment, a rating out of ten.

`gaming_sentences` returns the indices of such sentences; the grader blanks them before it looks for evidence
and says in the report that it ignored them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import Doc

# the label a candidate puts before a list of terms
_LABEL_RX = r"(?:keywords|key\s+terms|buzzwords|tags|topics\s+covered)\s*:"
# the act of grading this answer, or the one doing it
_ADDRESSED = re.compile(
    r"\b(?:grader|graders|grading|rubric|rubrics|evaluator|evaluators|assessor|scorer|scoring\s+(?:model|system|rubric)"
    r"|(?:this|my|the\s+above|the\s+following)\s+(?:answer|response|submission|transcript)"
    r"|full\s+marks|(?:give|giving|gives|deserves?|deserving|award|assign|worth|merits?|earns?)\s+"
    r"(?:me\s+|it\s+|this\s+|the\s+candidate\s+)?(?:a\s+|the\s+)?(?:max(?:imum)?|top|highest|perfect|full)\s+"
    r"(?:score|marks|rating|grade)s?"
    r"|(?:score|rate|mark|grade|rank)\s+(?:me|this\s+(?:answer|response|candidate|story)|the\s+candidate)\b"
    r"|(?:ignore|disregard)\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous|prior|above|earlier|other)?\s*(?:instructions|rules|criteria)"
    r"|(?:ignore|disregard|override|overrides)\s+(?:[\w-]+\s+){0,3}?(?:instructions|rubric|prompt|"
    r"(?:scoring|grading|evaluation|marking)\s+(?:rules|criteria|guidelines))"
    r"|(?:expected|target|desired|recommended|correct|final)[\s_-]+(?:grade|score|rating|verdict)"
    r"|as\s+an\s+ai|language\s+model|\bllm\b|note\s+to\s+(?:the\s+)?(?:ai|model|system|reviewer|grader|evaluator|bot|machine)"
    r"|(?:dear|hey|hi|attention)\s*,?\s+(?:ai|model|bot|grader|evaluator|reviewer|system)\b"
    r"|(?:ai|model|bot|system|tool)\s+(?:reading|grading|scoring|evaluating|reviewing)\s+(?:this|me)"
    r"|(?:exemplary|perfect|hire|strong\s+hire|10/10|5/5|4/4)\s+(?:answer|response|candidate|rating|score)"
    r"|(?:grade|rate|score|mark|evaluate|judge|assess)\w*\s+(?:this|me|my|generously|highly|favou?rably|leniently|kindly)"
    r"|(?:system|scoring|grading|evaluation)\s+(?:instruction|prompt|model|note)s?"
    r"|\b\d{1,2}\s*/\s*(?:4|5|10)\b|out\s+of\s+(?:4|5|10|ten|five)\b|(?:strong|definite)\s+hire"
    r")\b"
    r"|^\W*" + _LABEL_RX +  # a label, then a list: no word boundary after its colon
    # key-value data whose keys are about the grade (JSON and the like) is for a machine, not a listener
    r"|[{,]\s*[\"'][\w\s-]{0,30}(?:grade|score|rating|verdict|override|instruction|hire)[\w\s-]{0,30}[\"']\s*:",
    re.IGNORECASE,
)
# the candidate grading themself: what the story "shows" about them, or a self-description as a kind of engineer
_SELF_PRAISE = re.compile(
    r"\b(?:shows?|showcases?|showcasing|demonstrates?|demonstrating|highlights?|reflects?|proves?|illustrates?|"
    r"exemplif\w+)\s+(?:that\s+|how\s+)?(?:i\b|i'm\b|i\s+am\b|my\b|me\b|the\s+candidate)"
    r"|\b(?:i\s+am|i'm)\s+(?:a|an|the)\s+(?:[\w-]+[\s,]+){0,6}?(?:engineer|leader|candidate|professional|"
    r"problem[\s-]solver|team\s+player|communicator)\b"
    r"|\bself[\s-]assessment\b|\b(?:in\s+summary|tl;?dr|to\s+summari[sz]e)\b[^.]*\b(?:my|i)\b[^.]*\b(?:ownership|"
    r"leadership|communication|judg(?:e)?ment|mindset|excellence|collaboration)\b",
    re.IGNORECASE,
)
# the rubric's own topic names, as a candidate would name them when claiming coverage
_TOPIC = re.compile(
    r"\b(?:impact|detection|timeline|mitigation|mitigat\w+|diagnosis|root[\s-]+cause|communication|ownership|"
    r"prevention|reflection|blast\s+radius|lessons?\s+learned|action\s+items|blameless\w*|accountability|"
    r"stakeholder\s+management|postmortem|post-mortem|retrospective|observability|situation|task|actions?|"
    r"results?|what\s+i\s+learned|learnings|leadership|technical\s+depth|metrics|follow[\s-]up)\b",
    re.IGNORECASE,
)
_CLAIM_VERB = re.compile(
    r"\b(?:covered|cover|covering|addressed|address|demonstrated|demonstrate|showed|shown|show|showing|"
    r"included|hit|ticked|tick|touched|checked|displayed|exhibited|highlighted|mentioned|satisf\w+|meets?|met|"
    r"nailed|hits|all\s+the\s+(?:boxes|points))\b",
    re.IGNORECASE,
)
# words that carry a story: determiners, pronouns, auxiliaries, prepositions, conjunctions
_FUNCTION = frozenset(
    ["a", "an", "the", "this", "that", "these", "those", "it", "its", "we", "our", "us", "i", "me", "my", "he", "she", "they", "them", "their", "you", "your", "was", "were", "is", "are", "be", "been", "being", "had", "has", "have", "did", "do", "does", "to", "of", "in", "on", "at", "by", "for", "from", "with", "into", "after", "before", "when", "then", "so", "because", "and", "but", "or", "while", "until", "about", "over", "under", "up", "down", "out", "off", "not", "no"]
)
_WORD = re.compile(r"[A-Za-z][\w'-]*|\d[\d.,:%$]*")
# incident and interview jargon, the vocabulary bare lists are made of
_JARGON = re.compile(
    r"^(?:rollback|rollbacks|rolled|revert|canary|canaries|postmortem|post-mortem|postmortems|runbook|runbooks|"
    r"blameless|rca|root|cause|causes|systemic|mitigation|mitigated|mitigate|prevention|preventive|detection|"
    r"alerting|alert|alerts|monitoring|observability|slo|slos|sla|sli|error|budget|budgets|feature|flag|flags|"
    r"kill|switch|failover|on-call|oncall|pager|paging|escalation|impact|timeline|diagnosis|communication|"
    r"ownership|reflection|stakeholder|stakeholders|status|page|incident|incidents|commander|bridge|war|room|"
    r"sev1|sev0|sev2|p0|p1|five|whys|contributing|factors|guardrails|guardrail|automation|chaos|engineering|"
    r"lessons|learned|action|items|retro|retrospective|coe|customer|customers|communication|updates|cadence|"
    r"hypothesis|hypotheses|evidence|metrics|dashboards|tests|testing|validation|review|reviews|linting|"
    r"circuit|breaker|breakers|backoff|jitter|rate|limiting|autoscaling|capacity|planning|sre|devops|"
    r"accountability|transparency|leadership|collaboration|teamwork|proactive|keywords|key|terms|detect|triage|"
    r"mitigate|communicate|resolve|resolution|remediate|remediation|escalate|prevent|recurrence|contain|"
    r"containment|recover|recovery|monitor|hotfix|mttr|mttd|retro|learnings|ownership|resilience|reliability|"
    r"latency|p99|deploy|deployment|root-cause|follow-up|followups|kpis|data-driven|ci|cd|ci/cd|sev|severity)$",
    re.IGNORECASE,
)
MIN_TOPICS_FOR_CLAIM = 2  # with a claim verb; three topic names need no verb
MIN_LIST_WORDS = 3
LIST_JARGON_SHARE = 0.5


@dataclass(frozen=True)
class Ignored:
    index: int  # sentence index in the Doc
    reason: str  # "addressed to the grader" | "claims coverage" | "bare term list" | "grades itself"
    start: int = 0  # the ignored part of the sentence, as offsets into it (a list run on into a story sentence)
    end: int | None = None

    def span(self, doc: Doc) -> tuple[int, int]:
        """The ignored characters, as offsets into the Doc's text."""
        sentence = doc.sentences[self.index]
        end = sentence.end if self.end is None else sentence.start + self.end
        return sentence.start + self.start, end


def _is_list(sentence: str) -> bool:
    words = _WORD.findall(sentence)
    if len(words) < MIN_LIST_WORDS or any(w[0].isdigit() for w in words):
        return False
    if any(w.lower() in _FUNCTION for w in words):
        return False
    jargon = sum(bool(_JARGON.match(w)) for w in words)
    return jargon >= MIN_LIST_WORDS and jargon / len(words) >= LIST_JARGON_SHARE


_LABEL = re.compile(r"\b" + _LABEL_RX, re.IGNORECASE)
_ITEM_SPLIT = re.compile(r"[;,|\u2022]")
MIN_RUN_ITEMS = 3  # a list run on into a sentence: at least this many jargon items in a row
MIN_STORY_WORDS = 4  # and the rest of the sentence must be a story of its own to be kept


def _jargon_item(item: str) -> bool:
    words = _WORD.findall(item)
    if not 1 <= len(words) <= 3 or any(w.lower() in _FUNCTION for w in words):
        return False
    return sum(bool(_JARGON.match(w)) for w in words) * 2 >= len(words)


def _list_part(sentence: str) -> tuple[int, int] | None:
    """Where a term list runs on into a story sentence with no full stop between them (a list stuck before
    or after the story), as offsets into the sentence; None when there is no such run or no story beside it."""
    label = _LABEL.search(sentence)
    head = label.end() if label else 0
    cuts = [m.start() for m in _ITEM_SPLIT.finditer(sentence, head)]
    bounds = [head, *[c + 1 for c in cuts], len(sentence) + 1]
    items = [sentence[a : b - 1] for a, b in zip(bounds, bounds[1:], strict=False)]
    # leading: label and items from the start, the story after the last separator of the run
    if (label is None or not sentence[: label.start()].strip()) and len(items) > MIN_RUN_ITEMS:
        n = 0
        while n < len(items) - 1 and _jargon_item(items[n]):
            n += 1
        rest = sentence[bounds[n] :]
        if n >= MIN_RUN_ITEMS and len(_WORD.findall(rest)) >= MIN_STORY_WORDS:
            return 0, bounds[n]
    # trailing: a label (or a run of items) after the story, to the end of the sentence
    if (label is not None and label.start() > 0 and all(_jargon_item(i) for i in items if i.strip())
            and len(_WORD.findall(sentence[: label.start()])) >= MIN_STORY_WORDS):
        return label.start(), len(sentence)
    return None


def classify(sentence: str) -> str | None:
    """Why this sentence is not evidence, or None when it may be."""
    if _ADDRESSED.search(sentence):
        return "addressed to the grader"
    topics = {m.group().lower() for m in _TOPIC.finditer(sentence)}
    if len(topics) >= 3 or (len(topics) >= MIN_TOPICS_FOR_CLAIM and _CLAIM_VERB.search(sentence)):
        return "claims coverage"
    if _is_list(sentence):
        return "bare term list"
    if _SELF_PRAISE.search(sentence):
        return "grades itself"
    return None


def gaming_sentences(doc: Doc) -> list[Ignored]:
    out = []
    open_bracket = False  # inside a bracketed note that started by addressing the grader
    for i in range(len(doc.sentences)):
        text = doc.sentence_text(i)
        part = _list_part(text)
        if part is not None:
            out.append(Ignored(i, "bare term list", *part))
            open_bracket = False
            continue
        reason = classify(text)
        if reason is None and open_bracket:
            reason = "addressed to the grader"
        if reason:
            out.append(Ignored(i, reason))
            opened = text.count("[") + text.count("(") + text.count("{")
            closed = text.count("]") + text.count(")") + text.count("}")
            open_bracket = (open_bracket or opened > closed) and not (closed > opened)
        else:
            open_bracket = False
    return out


def masked(doc: Doc, ignored: list[Ignored]) -> str:
    """The text with ignored sentences blanked out, every other offset unchanged."""
    chars = list(doc.text)
    spans = [ig.span(doc) for ig in ignored]
    for start, end in spans:
        for k in range(start, end):
            if not chars[k].isspace():
                chars[k] = " "
    # a blanked sentence must still end one: put a break where it was so neighbours do not merge
    for start, end in spans:
        if start < end:
            chars[start] = "\n"
    return "".join(chars)
