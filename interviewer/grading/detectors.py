"""Pure regex and lexicon detectors over the candidate's words.

Each detector takes the text (or a Doc of it) and returns Hits: character spans with a kind. They know
nothing about scores; rule_scores.py turns hits into 0-4 per signal. All patterns compile at import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from .text import Doc

I = re.IGNORECASE  # noqa: E741 - short alias used in every pattern below


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    kind: str = ""

    def of(self, text: str) -> str:
        return text[self.start : self.end]


_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_FOLD_ESCAPES = re.compile(r"\\.|[A-Z]")
_WORD_START = r"(?<!\w)(?=[\w$#\u20ac\u00a3])"


@lru_cache(maxsize=16)
def fold(text: str) -> str:
    """ASCII lower-case with every offset unchanged (str.lower can change the length of some letters)."""
    return text.translate(_ASCII_FOLD)


class Rx:
    """A compiled pattern. Case-insensitive patterns are lower-cased once and run on folded text.

    Python's IGNORECASE matching is several times slower than plain matching; folding the text instead keeps
    a whole answer well inside the time budget. Patterns with case-sensitive parts (names) run as written.
    """

    def __init__(self, pattern: str, flags: int = I, word_start: bool = True) -> None:
        self.folded = bool(flags & re.IGNORECASE) and "(?-i:" not in pattern
        if word_start:
            # every match starts a word (or a $ amount, a #channel): failing fast mid-word saves a third of the time
            pattern = _WORD_START + f"(?:{pattern})"
        if self.folded:
            pattern = _FOLD_ESCAPES.sub(
                lambda m: m.group() if m.group().startswith("\\") else m.group().lower(), pattern
            )
            flags &= ~re.IGNORECASE
        self.pattern = pattern
        self._rx = re.compile(pattern, flags)

    def _in(self, text: str) -> str:
        return fold(text) if self.folded else text

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> Iterator[re.Match[str]]:
        return self._rx.finditer(self._in(text), pos, len(text) if endpos is None else endpos)

    def search(self, text: str) -> re.Match[str] | None:
        return self._rx.search(self._in(text))

    def match(self, text: str) -> re.Match[str] | None:
        return self._rx.match(self._in(text))


def _rx(pattern: str, flags: int = I, word_start: bool = True) -> Rx:
    return Rx(pattern, flags, word_start)


def find(pattern: Rx, text: str, kind: str = "") -> list[Hit]:
    return [Hit(m.start(), m.end(), kind) for m in pattern.finditer(text) if m.end() > m.start()]


def _merge(hits: Iterable[Hit]) -> list[Hit]:
    """Drop hits overlapping an earlier (or longer, same-start) one; keep text order."""
    out: list[Hit] = []
    for h in sorted(hits, key=lambda h: (h.start, -(h.end - h.start))):
        if out and h.start < out[-1].end:
            continue
        out.append(h)
    return out


# --- numbers -------------------------------------------------------------------------------

_UNITS_WORD = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
    r"seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
)
_NUMBER_WORD = rf"(?:{_UNITS_WORD})(?:[\s-](?:{_UNITS_WORD}))?(?:\s+(?:hundred|thousand|million))?"
_DIGITS = r"(?<![\d:.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:\s?(?:k|K|m|M|bn)\b)?"
# a number, as digits or words, without the bare article
_NUM = (
    rf"(?:{_DIGITS}|{_NUMBER_WORD}|a\s+(?:hundred|thousand|million|dozen|couple(?:\s+of)?|few)|"
    r"a\s+couple(?:\s+of)?|couple\s+of|a\s+few|several|half\s+an?|a\s+half|one\s+and\s+a\s+half|"
    r"hundreds\s+of|thousands\s+of|millions\s+of|dozens\s+of)"
)
# time points may also use the article: "an hour later", "a day later"
_TNUM = rf"(?:{_NUM}|an?)"
_TUNIT = r"(?:seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|quarters?|sprints?|nights?)"
_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_APPROX = (
    r"(?:(?:about|around|roughly|maybe|only|just|another|some|nearly|almost|over|under|less\s+than|"
    r"more\s+than)\s+)?"
)

# --- time expressions ----------------------------------------------------------------------

_TIME_PATTERNS = [
    # T+5, T plus 5, T+2h, T-minus 10
    rf"\bT\s?(?:\+|-|plus\s|minus\s)\s?(?:\d+|{_UNITS_WORD})(?:\s?(?:m|min|mins|minutes?|h|hrs?|hours?|"
    rf"s)\b)?",
    # at 09:40, 9:40 am, around 2am, by 10:15 UTC
    r"\b(?:(?:at|around|about|by|until|till|from|before|after|since|just\s+after|just\s+before)\s+)?"
    r"\d{1,2}:\d{2}(?:\s?(?:am|pm|a\.m\.|p\.m\.))?(?:\s?(?:UTC|GMT|[A-Z][SD]T))?",
    r"\b(?:(?:at|around|about|by|until|till|before|after)\s+)?\d{1,2}\s?(?:am|pm|a\.m\.|p\.m\.)",
    r"\b(?:at|around|by|until|after)\s+(?:noon|midnight|lunch(?:time)?|the\s+end\s+of\s+the\s+day)\b",
    # seven minutes in, twenty minutes into the incident
    rf"\b{_APPROX}{_TNUM}\s+{_TUNIT}(?:\s+and\s+a\s+half)?\s+in(?:to)?\b(?:\s+(?:the\s+)?(?:incident|outage|"
    rf"call|bridge|it))?",
    # about two hours later, a week after, ten minutes before
    rf"\b{_APPROX}{_TNUM}\s+(?:more\s+)?{_TUNIT}(?:\s+and\s+a\s+half)?\s+(?:later|after(?:wards)?|"
    rf"afterwards|before|earlier|on)\b",
    # within two weeks, within the hour, within minutes
    rf"\bwithin\s+{_APPROX}(?:{_TNUM}\s+{_TUNIT}|the\s+(?:hour|day|week|month|sprint|quarter)|minutes|hours|"
    rf"days|weeks)\b",
    # after 20 minutes, in under ten minutes, in the first five minutes
    rf"\bafter\s+{_APPROX}{_TNUM}\s+{_TUNIT}\b",
    rf"\b(?:in|during|for)\s+the\s+first\s+(?:{_NUM}\s+)?{_TUNIT}\b",
    rf"\bin\s+{_APPROX}{_TNUM}\s+{_TUNIT}\b",
    # at minute 12, by minute twelve, the 30 minute mark
    rf"\b(?:at|by|around|until)\s+minute\s+(?:\d+|{_NUMBER_WORD})\b",
    rf"\bthe\s+{_NUM}[\s-]minute\s+mark\b",
    # by Monday, by the end of the week, by end of day
    rf"\bby\s+(?:(?:the\s+)?end\s+of\s+(?:the\s+)?(?:day|week|month|sprint|quarter)|EOD|(?:next\s+)?{_DAY}"
    r"|the\s+next\s+(?:morning|day|week|release|sprint)|tomorrow|the\s+weekend|the\s+time\s+\w+)\b",
    # the next morning, the following week, later that day, that night
    r"\b(?:the\s+)?(?:next|following)\s+(?:morning|day|week|month|sprint|quarter|release|afternoon|evening|"
    r"night)\b",
    r"\b(?:the\s+)?(?:day|week|morning|night|month)\s+after\b",
    r"\blater\s+(?:that|the\s+same)\s+(?:day|week|night|morning|afternoon|evening)\b",
    r"\b(?:that|this)\s+(?:morning|afternoon|evening|night)\b",
    rf"\b(?:on\s+(?:a\s+)?|last\s+|that\s+|one\s+|this\s+)?{_DAY}(?:\s+(?:morning|afternoon|evening|"
    rf"night))?\b",
    rf"\b(?:on\s+)?{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b",
    r"\bovernight\b",
    r"\bthe\s+same\s+(?:day|afternoon|evening|week|night|morning)\b",
]
TIME_RX = _rx("|".join(f"(?:{p})" for p in _TIME_PATTERNS))
# time points far from the incident itself: follow-up work
LONG_RANGE_RX = _rx(
    rf"\b(?:days?|weeks?|months?|quarters?|sprints?|{_DAY}|{_MONTH}|next\s+(?:day|week|month|sprint|quarter|"
    rf"release)"
    r"|following\s+(?:day|week|month|sprint|quarter)|day\s+after|week\s+after|end\s+of\s+(?:the\s+)?(?:week|"
    r"month|sprint|quarter))\b"
)


def time_expressions(text: str) -> list[Hit]:
    """Verbatim time expressions (points in the sequence, not plain durations), in text order."""
    return _merge(find(TIME_RX, text, "time"))


def distinct_times(text: str, hits: list[Hit]) -> list[Hit]:
    seen: set[str] = set()
    out = []
    for h in hits:
        key = " ".join(h.of(text).lower().split())
        if key not in seen:
            seen.add(key)
            out.append(h)
    return out


# --- quantities ----------------------------------------------------------------------------

_QTY_NOUNS = (
    r"(?:users?|customers?|merchants?|accounts?|requests?|reqs|orders?|checkouts?|transactions?|payments?|"
    r"sessions?|logins?|sign-?ins?|sign-?ups?|calls?|queries|messages?|events?|jobs?|records?|rows?|"
    r"tickets?|pages?|pods?|nodes?|servers?|hosts?|instances?|replicas?|regions?|shards?|partitions?|"
    r"services?|teams?|engineers?|people|devices?|installs?|files?|emails?|notifications?|retries|errors?|"
    r"timeouts?|connections?|threads?|workers?|deploys?|releases?|builds?|documents?|items?|products?|"
    r"listings?|bookings?|rides?|drivers?|stores?|clients?|tenants?|dollars|euros|pounds|bucks|"
    r"GB|TB|MB|gigs?|gigabytes?|terabytes?|megabytes?|ms|milliseconds?|seconds?|secs?|minutes?|mins?|"
    r"hours?|hrs?|days?|weeks?|months?|percent|per\s*cent|rps|qps|tps|x\b|times\b)"
)
QTY_RX = _rx(
    r"(?:\b(?:an?\s+(?:hour|day|week|minute|month)|half\s+an\s+hour|"
    r"an\s+hour\s+and\s+a\s+half)\b(?!\s+(?:later|after|ago|in|before))"
    r"|[$\u20ac\u00a3]\s?\d[\d,.]*(?:\s?(?:k|K|m|M|bn|million|thousand|billion))?)"
    rf"|(?:\b{_NUM}\s?(?:%|percent\b|per\s*cent\b|x\b|times(?=\s+(?:the|normal|higher|more|our|its|over)\b))"
    rf"|\b(?:{_NUM})\s+(?:(?:of\s+(?:our|the|all|their)|more|fewer|extra|failed|failing|broken|"
    rf"affected|stuck|duplicate|missing|active|paying|concurrent)\s+)?(?:[a-z-]+\s+)?{_QTY_NOUNS}"
    r"|\b(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?\s+(?:(?!that|which|who|was|is|were|are|and|"
    r"or)[a-z-]+\s+)?[a-z]{3,}s\b"
    r"|\b\d+(?:\.\d+)?\s?(?:ms|s|GB|TB|MB|k|K|x|%)(?!\w)"
    r"|\b(?:half|a\s+third|two\s+thirds|a\s+quarter|three\s+quarters|a\s+fifth)\s+of\s+(?:the\s+|our\s+|"
    r"all\s+)?"
    rf"(?:[a-z-]+\s+)?(?:{_QTY_NOUNS}|traffic|fleet|cluster|revenue|capacity))"
)
# "about two hours later" is a time point, not an amount: amounts inside a time expression still count,
# but these words never make an amount on their own
_NOT_QTY = _rx(
    r"^(?:a\s+few|several|a\s+couple(?:\s+of)?|couple\s+of)\s+(?:times|minutes?|hours?|days?)$",
    word_start=False,
)


def quantities(text: str) -> list[Hit]:
    """Numbers with a unit: "40 percent", "twelve minutes", "$30k", "half of our users"."""
    return [h for h in _merge(find(QTY_RX, text, "qty")) if not _NOT_QTY.match(h.of(text))]


# --- negation ------------------------------------------------------------------------------

NEGATION_RX = _rx(
    r"\b(?:not|no|never|without|nobody|nothing|none|neither|nor|hardly|barely|cannot)\b|n't\b",
    word_start=False,
)
_CLAUSE_START_RX = _rx(
    r"[,;:.!?]\s|\b(?:but|and|although|though|because|so|while|until|whereas)\s", word_start=False
)
NEGATION_WINDOW_WORDS = 5


def is_negated(text: str, start: int, floor: int = 0) -> bool:
    """True when a negation cue precedes `start` within its clause (a few words back, not before `floor`)."""
    window = text[max(floor, start - 60) : start]
    cut = 0
    for m in _CLAUSE_START_RX.finditer(window):
        cut = m.end()
    window = window[cut:]
    words = window.split()[-NEGATION_WINDOW_WORDS:]
    return bool(NEGATION_RX.search(" ".join(words)))


# --- signal cues ---------------------------------------------------------------------------

ALERT_FIRED_RX = _rx(
    r"\b(?:alert|alarm|page|pager|monitor|check|probe|dashboard|graph|SLO|burn[- ]rate|canary|PagerDuty|"
    r"Opsgenie|"
    r"Datadog|Grafana|Prometheus|Sentry|CloudWatch)\w*\b(?:[\s,]+[\w-]+){0,8}?[\s,]+"
    r"(?:fired|went\s+off|triggered|tripped|paged|woke|lit\s+up|turned\s+red|started\s+(?:firing|alerting|"
    r"paging)|"
    r"caught|flagged|showed|spiked|kicked\s+in)\b"
    r"|\b(?:got|was|were|been|I'm|we're)\s+paged\b|\bpaged\s+(?:me|us|the\s+on-?call)\b|\b(?:got|received|"
    r"saw|noticed|acknowledged|ack'd)\s+(?:a|an|the|our)\s+(?:[\w-]+\s+){0,3}?"
    r"(?:page|alert|alarm)\b|\b(?:a|an|the|our)\s+(?:[\w-]+\s+){0,2}(?:alert|alarm|page)\s+(?:on|for)\b"
    r"|\bsynthetic\s+(?:check|probe|monitor|test)s?\b|\bburn[- ]rate\s+alert"
)
CUSTOMER_REPORT_RX = _rx(
    r"\b(?:customers?|users?|merchants?|clients?|clinics?|sellers?|patients?|partners?|support|tickets?|"
    r"a\s+(?:customer|user|merchant)|"
    r"sales|account\s+managers?|people\s+on\s+(?:twitter|social)|someone\s+on\s+twitter)\b[^.!?]{0,60}?\b"
    r"(?:reported|complain\w*|told\s+us|tweet\w*|emailed|filed|opened|called|escalated|posted|shared|"
    r"mentioned|"
    r"messaged|started\s+(?:seeing|reporting|"
    r"asking|calling)|pinged|flagged|noticed|asked|writing\s+in|wrote\s+in)\b"
    r"|\b(?:support|complaint|customer)\s+tickets?\b|\b(?:called|emailed|contacted|pinged)\s+(?:our\s+|"
    r"the\s+)?support\b|\b(?:angry|customer)\s+(?:tweets|emails|calls)\b|\btickets?\s+(?:started|came|piled|"
    r"poured|were)\b"
    r"|\b(?:reviews|chats?|tickets?|complaints?|tweets?|calls?|emails?)\b[^.!?]{0,40}\b(?:was|"
    r"were)\s+(?:the\s+|our\s+)?"
    r"first\s+(?:signal|sign|indication|alert)\b|\b(?:heard|found\s+out|"
    r"learned)\s+(?:about\s+it\s+)?from\s+(?:a\s+)?(?:customers?|users?|support|twitter|sales)\b"
)
NOTICED_RX = _rx(
    r"\b(?:I|we|someone|somebody|an?\s+engineer|the\s+on-?call|a\s+teammate|my\s+teammate)\s+(?:\w+\s+)?"
    r"(?:noticed|spotted|saw|caught|discovered|realized|realised|found\s+out)\b|\bfirst\s+sign(?:al)?\b|"
    r"\bwoke\s+up\s+to\b"
)
DETECTION_SPEED_RX = _rx(
    r"\bbefore\s+(?:any\s+)?(?:customers?|users?|anyone|support)\b|\b(?:error\s+rate|latency|p\d\d|p99|"
    r"queue\s+depth|"
    r"lag|disk|memory|CPU|threshold|5xx|500s?|4xx|saturation|burn\s+rate)\b"
)

MITIGATION_RX = _rx(
    r"\b(?:roll(?:ed|ing)?\s+(?:[\w'-]+\s+){0,3}?back|rollbacks?|revert(?:ed|ing|s)?|"
    r"point(?:ed|ing)?\s+(?:it|the\s+[\w-]+|them)\s+back|cancel(?:l?ed|l?ing)?\s+the\s+(?:migration|query|"
    r"job|deploy\w*|"
    r"rollout|release|campaign)|kill(?:ed|ing)?\s+(?:the|his|her|their|that)\s+(?:[\w-]+\s+)?(?:query|job|"
    r"process|"
    r"migration|script)|restor(?:e|ed|ing)\s+(?:[\w-]+\s+){0,3}?from\s+(?:the\s+)?(?:[\w-]+\s+)?(?:backups?|"
    r"snapshots?)|"
    r"switch(?:ed|ing)?\s+(?:[\w-]+\s+){0,3}?to\s+(?:our|the|a)\s+(?:backup|secondary|standby|old|previous|"
    r"fallback)|"
    r"re-?enabl(?:e|ed|ing)\s+the\s+old|uncordon\w*|moved\s+(?:some\s+)?shards|"
    r"issu(?:ed|ing)\s+a\s+(?:new|short-lived|temporary)\s+cert\w*|"
    r"(?:flipp|toggl|turn|switch)(?:ed|ing)?\s+(?:it\s+|the\s+[\w-]+(?:\s+[\w-]+)?\s+)?off|disabl(?:ed|ing)|"
    r"kill[- ]switch|fail(?:ed|ing)?\s*over|failover|drain(?:ed|ing)?|"
    r"scal(?:e|ed|ing)\s+(?:it\s+|the\s+[\w-]+\s+|them\s+)?(?:back\s+)?(?:out|up)|scal(?:e|ed|"
    r"ing)\s+(?:the\s+)?[\w-]+\s+from|added\s+(?:more\s+)?(?:capacity|nodes|replicas|instances|workers|"
    r"consumers|disk|memory)|restart(?:s|ed|ing)?|bounc(?:e|ed|ing)|reboot(?:ed|ing)?|"
    r"shed(?:ding)?\s+(?:the\s+)?load|load[- ]shedd?\w*|rate[- ]limit(?:ed|ing)|throttl(?:ed|ing)|"
    r"block(?:ed|ing)\s+(?:the|that|those|traffic|requests)|paus(?:e|ed|ing)|"
    r"(?:stopp|halt)(?:ed|ing)\s+(?:the\s+)?(?:job|jobs|rollout|release|deploy\w*|consumer\w*|writes|cron\w*|"
    r"batch\w*|sync|"
    r"import\w*|migration|workers?)|purg(?:e|ed|ing)|flush(?:ed|ing)?|redirect(?:ed|ing)|rerout(?:ed|ing)|"
    r"(?:shift|mov|drain|send)(?:ed|ing)?\s+(?:the\s+)?traffic|pinn(?:ed|ing)|renew(?:ed|ing)|"
    r"rotat(?:ed|ing)\s+(?:the\s+)?(?:cert\w*|keys?|secret\w*|credentials?)|freed\s+up|clear(?:ed|"
    r"ing)\s+(?:out\s+)?|"
    r"delet(?:ed|ing)\s+(?:old\s+|the\s+old\s+)?(?:logs|files|snapshots)|truncat(?:ed|ing)|promot(?:ed|ing)|"
    r"pull(?:ed|ing)?\s+the\s+(?:release|build|version|app)|halt(?:ed|ing)?\s+the\s+(?:staged\s+)?rollout|"
    r"froze\s+(?:all\s+)?deploys|freez(?:e|ing)\s+deploys|"
    r"maintenance\s+mode|read-?only\s+mode|degraded\s+mode|fell\s+back|fallback|"
    r"serv(?:ed|ing)\s+(?:stale|cached)|expedited\s+review|hotfix\w*|patched|pushed\s+a\s+patch)\b"
)
MITIGATION_ACTION_RX = _rx(
    r"\bto\s+(?:cap|stop|disable|pause|kill|lower|raise|reduce|limit|increase|double|block|shed|restart|"
    r"revert|move|"
    r"shift|switch|remove|isolate|bump|resize)\b|\b(?:I|we|the\s+team|they|[A-Z][a-z]+)\s+(?:\w+ly\s+|"
    r"then\s+|also\s+|just\s+)?(?:capped|stopped|disabled|paused|killed|"
    r"shut\s+down|turned\s+off|limited|doubled|tripled|increased|raised|bumped|resized|expanded|grew|added|"
    r"moved|"
    r"restored|removed|blocked|reverted|replaced|deleted|reduced|lowered|cut|swapped|freed|extended|switched|"
    r"redeployed|rebuilt|reran|re-ran|resubmitted|shifted|isolated|quarantined|evicted|detached|cordoned)\b"
)
RECOVERY_RX = _rx(
    r"\b(?:disappeared|went\s+away|subsided|went\s+quiet|(?:fixed|solved|helped)\s+(?:it|things|"
    r"that)\s+(?:right\s+away|"
    r"immediately|instantly|quickly)|came\s+back|recover(?:ed|y)|back\s+to\s+normal|went\s+back\s+(?:to|"
    r"down)|stopped\s+(?:dropping|failing|"
    r"erroring|crashing|growing)|dropped\s+back|was\s+back|were\s+back|resolved|cleared\s+up|normali[sz]ed|"
    r"stabili[sz]ed|drained\s+by|caught\s+up|the\s+bleeding\s+stopped|errors?\s+(?:stopped|fell|dropped))\b"
)
FIXLIKE_MITIGATION = {
    "hotfix",
    "hotfixed",
    "hotfixes",
    "patched",
    "pushed a patch",
}  # remedies that are usually the fix itself
MITIGATION_DISTINCT_RX = _rx(
    r"\b(?:mitigat\w*|stop(?:ped|ping)?\s+the\s+bleeding|stabili[sz]\w*|contain(?:ed|ing|ment)?|"
    r"b(?:uy|ought)\s+(?:us\s+|ourselves\s+)?(?:some\s+)?time|temporar\w*|stop-?gap|workaround|band-?aid|"
    r"short[- ]term|before\s+(?:we|I|anyone)\s+(?:even\s+)?(?:knew|understood|found|had|figured)|"
    r"first\s+(?:thing|priority|step|move|call)|(?:real|actual|permanent|proper|long[- ]term|"
    r"underlying)\s+fix|"
    r"while\s+(?:we|I|the\s+team|they)\s+(?:\w+\s+)?(?:investigat|debugg|dug|look|figur|work)\w*|"
    r"in\s+the\s+meantime|"
    r"meanwhile|restore\s+service\s+first|get\s+(?:customers|users)\s+(?:back|unblocked))\b"
)
MITIGATION_REASON_RX = _rx(
    r"\b(?:cheapest|safest|fastest|quickest|lowest[- ]risk|least\s+risky|reversib\w+|easy\s+to\s+undo|"
    r"trade-?offs?|rather\s+than|instead\s+of|known[- ]good|blast\s+radius|downside|risk(?:ier|y)?\s+than)\b"
)

DIAG_GENERIC_RX = _rx(
    r"\b(?:investigat\w+|look(?:ed|ing)?\s+into|debugg\w+|troubleshoot\w*|dug\s+in(?:to)?|digging|figur(?:ed|"
    r"ing)\s+out|"
    r"narrow(?:ed|ing)?\s+(?:it\s+)?down|root[- ]caus(?:ed|ing))\b"
)
DIAG_EVIDENCE_RX = _rx(
    r"\b(?:logs?|metrics?|traces?|tracing|dashboards?|graphs?|flame\s?graphs?|profil\w+|heap\s+dumps?|"
    r"thread\s+dumps?|"
    r"core\s+dumps?|tcpdump|packet\s+captures?|strace|query\s+plans?|EXPLAIN|slow\s+query\s+log|"
    r"stack\s+traces?|"
    r"diff(?:ed|ing)?|bisect\w*|correlat\w+|compar(?:ed|ing)|reproduc\w+|deploy\s+(?:history|log)|changelog|"
    r"grep\w*|pg_stat\w*|iostat|vmstat|top\b|error\s+messages?|headers?|packet|timestamps?|hit\s+rate|"
    r"connection\s+counts?|GC\s+(?:logs?|pauses?)|spans?|histograms?|percentiles?|stats|statistics|"
    r"error\s+codes?|"
    r"status\s+API|audit\s+log|document\s+counts?|crash\s+reports?|openssl|key\s+IDs?|lock\s+waits?)\b"
)
DIAG_HYPOTHESIS_RX = _rx(
    r"\b(?:hypothes\w+|suspect\w*|theor(?:y|ies)|hunch|(?:we|I)\s+assumed|ruled?\s+(?:it\s+)?out|"
    r"ruling\s+out|"
    r"red\s+herring|dead\s+end|wrong\s+(?:turn|track|path|direction)|rabbit\s+hole|false\s+lead|"
    r"(?:first|initial)\s+(?:guess|thought|instinct)|we\s+(?:first\s+)?thought|I\s+(?:first\s+)?thought|"
    r"at\s+first|initially|turned\s+out|ended\s+up\s+being|it\s+wasn't|was\s+not\s+(?:it|the\s+(?:cause|"
    r"problem))|"
    r"wasn't\s+(?:it|the\s+(?:cause|problem|issue))|not\s+the\s+(?:cause|problem|issue)|to\s+test\s+(?:that|"
    r"this|the)|"
    r"confirm(?:ed|ing)?|disprov\w+|the\s+evidence|which\s+pointed|pointed\s+(?:us\s+)?(?:to|at)|wasted)\b"
)
DIAG_WRONG_TURN_RX = _rx(
    r"\b(?:red\s+herring|dead\s+end|wrong\s+(?:turn|track|path|direction)|rabbit\s+hole|false\s+lead|"
    r"(?:first|initial)\s+(?:guess|theory|thought|hunch|hypothesis|instinct|suspect)|at\s+first\s+(?:we|I)|"
    r"initially\s+(?:we|I)|"
    r"(?:we|I)\s+(?:first\s+|initially\s+)?(?:thought|assumed|suspected|blamed|chased)|"
    r"ruled?\s+(?:it\s+)?out|"
    r"(?:was|were)n't\s+(?:it|the\s+(?:cause|problem|issue))|was\s+not\s+(?:it|the\s+(?:cause|problem))|"
    r"not\s+the\s+(?:cause|problem|issue)|wasted\s+(?:\w+\s+){0,3}(?:minutes|time|an?\s+hour))\b"
)
DIAG_CHAIN_RX = _rx(
    r"\b(?:which\s+(?:then\s+)?(?:caused|meant|led|triggered|made|filled|exhausted|saturated|pushed|blocked|"
    r"overloaded|starved|broke|invalidated|locked)|leading\s+to|led\s+to|"
    r"as\s+a\s+result|in\s+turn|cascad\w+|retry\s+storm|thundering\s+herd|backed\s+up|piled\s+up|"
    r"exhaust(?:ed|ing|ion)|saturat(?:ed|ing|ion)|starv(?:ed|ing|ation)|overload(?:ed|ing)?|ran\s+out\s+of|"
    r"running\s+out\s+of|"
    r"so\s+(?:every|each|all|the|any|requests|"
    r"clients|the\s+\w+)\b|once\s+the|when\s+the\s+\w+\s+(?:hit|filled|expired|ran|reached))\b"
)

CAUSE_RX = _rx(
    r"\b(?:root\s+cause|underlying\s+(?:cause|issue|problem)|the\s+cause\s+was|caused\s+by|"
    r"(?:the\s+)?(?:issue|problem|"
    r"bug|culprit|trigger)\s+was|turned\s+out|it\s+was\s+because|because\s+(?:of\s+)?|due\s+to|"
    r"triggered\s+by|"
    r"came\s+down\s+to|contributing\s+factors?|contributed|the\s+reason\s+was|hit\s+(?:its|the|our|"
    r"a)\s+(?:[\w-]+\s+)?(?:limit|capacity|maximum|max|ceiling|quota))\b"
)
_GUARDRAIL = (
    r"(?:canary|canaries|canary\s+stage|alert\w*|alarm\w*|tests?|testing|test\s+coverage|validation|"
    r"validators?|"
    r"reviews?|review\s+step|limits?|timeouts?|checks?|check\s+on|runbooks?|monitor\w*|staging|expiry\s+\w+|"
    r"owners?|"
    r"ownership|guardrails?|safeguards?|circuit\s+breakers?|backpressure|quotas?|lint\w*|schema\s+checks?|"
    r"dry[- ]runs?|"
    r"approvals?|gates?|rollback\s+plan|load\s+tests?|capacity\s+plan\w*|retry\s+budget|jitter|TTLs?|backoff|"
    r"safety\s+net|visibility|dashboards?|rate\s+limits?|health\s+checks?|auto-?renew\w*|automation|"
    r"inventory|alerting\s+on|way\s+to|process\s+for|requirement|policy|rule)"
)
GAP_RX = _rx(
    rf"\b(?:no|without|never\s+had|never\s+any|lacked|lacking|missing|zero)\s+(?:\w+\s+){{0,3}}?{_GUARDRAIL}"
    rf"|\b(?:didn't|did\s+not|hadn't|had\s+not|wasn't|was\s+not|weren't|never)\s+(?:\w+\s+){{0,2}}?"
    rf"(?:have|had|require|check|validate|catch|enforce|alert|cover|test|gate|block|limit|monitor|page|warn|"
    rf"flag|run|"
    rf"include|exercise|track|document|look\s+at)\s+(?:\w+\s+){{0,4}}?{_GUARDRAIL}"
    rf"|\b(?:process|pipeline|tool|tooling|system|CI|review|runbook|checklist|alerting|monitoring|tests?|"
    rf"framework|"
    rf"client|library|job|script|validation|canary|linter|alert|threshold|"
    rf"config\s+system)\s+(?:\w+\s+){{0,2}}?"
    rf"(?:didn't|did\s+not|doesn't|does\s+not|wasn't|was\s+not|never|only|had\s+no|has\s+no|ignored|"
    rf"left\s+no)\b"
    r"|\bnothing\s+(?:in\s+(?:the|our)\s+[\w-]+(?:\s+[\w-]+)?\s+|to\s+|that\s+|would\s+have\s+)?(?:checked|"
    r"caught|stopped|"
    r"prevented|validated|enforced|required|warned|flagged|alerted|blocked|limited|tested|paged|noticed|"
    r"capped|"
    r"bounded|rejected|throttled|verified|protected)\b"
    r"|\b(?:allowed|let)\s+(?:a|an|the|it|us|anyone|any|one|someone|them|that|this|bad|stale)\b"
    r"|\bmade\s+it\s+(?:easy|possible|trivial)\b|\bsingle\s+point\s+of\s+failure\b|\bblind\s+spots?\b"
    r"|\bgaps?\s+(?:in|was|were)\b|\b(?:untested|unmonitored|unowned|unvalidated|unbounded|undocumented)\b"
    r"|\b(?:nobody|no\s+one)\s+owned\b|\bmanual\s+(?:step|process|renewal|checklist|copy)\b|\bby\s+hand\b"
    r"|\bhard-?coded\b|\bassum(?:ed|ption)\s+that\b|\bsilently\b|\bonly\s+(?:ever\s+)?(?:tested|ran|checked|"
    r"covered)\b"
)
CAUSE_UNKNOWN_RX = _rx(
    r"\b(?:never|didn't|did\s+not|couldn't|could\s+not|can't|still\s+don't|don't|never\s+really|"
    r"not\s+sure)\s+"
    r"(?:\w+\s+){0,2}?(?:figur\w*\s+out|f(?:ou|i)nd\w*|know|knew|understood|understand|"
    r"got\s+to\s+the\s+bottom|"
    r"pin(?:ned)?\s+(?:it\s+)?down|root[- ]caus\w*|identif\w+|learn\w*|determin\w+)\b[^.!?]{0,40}"
    r"\b(?:cause|why|what\s+(?:caused|happened|triggered)|reason|root|bottom)\b"
    r"|\bno\s+idea\s+(?:why|what)\b|\b(?:stuff|things|shit|these\s+things|it)\s+(?:just\s+)?happens?\b"
    r"|\b(?:a\s+)?(?:fluke|bad\s+luck|random\s+glitch|cosmic\s+ray|gremlins?)\b|"
    r"\bjust\s+one\s+of\s+those\s+(?:things|days)\b"
)

COMM_CHANNEL_RX = _rx(
    r"\b(?:incident\s+channel|slack\s+channel|channel|war\s*room|bridge(?:\s+call)?|zoom(?:\s+call)?|"
    r"status\s*page|"
    r"statuspage|incident\s+(?:doc|document|ticket)|email(?:ed|s)?|announcement|banner|in-?app\s+(?:message|"
    r"banner|notice)|"
    r"conference\s+call|standup)\b|#[a-z][\w-]+"
)
_AUDIENCE = (
    r"(?:leadership|executives?|execs?|VPs?|CTO|CEO|director|management|(?:my|our|the)\s+manager|"
    r"(?:eng\s+)?manager|"
    r"product\s+(?:managers?|team|owners?|folks)|PMs?|support(?:\s+(?:team|lead|manager))?|"
    r"customer\s+(?:success|support|care)|"
    r"account\s+(?:managers?|team)|sales(?:\s+team)?|customers|legal|compliance|other\s+teams|marketing|"
    r"finance(?:\s+team)?|clinics|merchants|sellers|admins|enterprise\s+admins|on-?call\s+lead|status\s*page|"
    r"the\s+(?:rest\s+of\s+the\s+)?(?:company|org)|[\w-]+\s+team)"
)
COMM_AUDIENCE_RX = _rx(rf"\b{_AUDIENCE}\b")
_AUDIENCE_SUBJ = _AUDIENCE.replace(r"|[\w-]+\s+team)", r"|(?:support|comms|success|communications)\s+team)")
_COMM_VERB = (
    r"(?:updat(?:ed|es|ing)|update|inform\w*|told|tell|communicat\w+|post(?:ed|ing)?|announc\w+|notif\w+|"
    r"brief\w*|"
    r"kept\s+(?:\w+\s+){1,3}(?:informed|posted|in\s+the\s+loop|updated)|in\s+the\s+loop|wrote|sent|messag\w+|"
    r"escalat\w+|looped\s+in|sync\w*|talk\w*|apolog\w+|known[- ]issue|banner)"
)
COMM_VERB_RX = _rx(rf"\b{_COMM_VERB}\b")
_CHANNEL = (
    r"(?:incident\s+channel|slack\s+channel|channel|war\s*room|bridge(?:\s+call)?|zoom(?:\s+call)?|"
    r"status\s*page|"
    r"statuspage|incident\s+(?:doc|document|ticket)|email|in-?app\s+(?:message|banner|notice)|banner|article)"
)
COMM_ACT_RX = _rx(
    rf"\b{_COMM_VERB}\b(?:[\s,]+[\w'-]+){{0,7}}?[\s,]+(?:{_AUDIENCE}|{_CHANNEL})\b"
    rf"|\b{_AUDIENCE_SUBJ}\b(?:[\s,]+[\w'-]+){{0,3}}?[\s,]+(?:posted|sent|updated|told|informed|announced|"
    rf"notified|"
    r"messaged|emailed)\b"
)
COMM_CADENCE_RX = _rx(
    rf"\bevery\s+(?:{_NUM}\s+)?(?:minutes?|mins?|hours?|half\s+hour)\b|\b(?:regular|hourly|periodic|cadence|"
    r"twice\s+an\s+hour|on\s+the\s+(?:hour|half\s+hour))\b"
)
COMM_OWNER_RX = _rx(
    r"\b(?:incident\s+commander|IC\b|comms?\s+(?:lead|owner|person|role)|communications?\s+(?:lead|owner|"
    r"person|role)|"
    r"scribe|(?:own|owned|handle|handled|take|took|run|ran|took\s+over|drove|did)\s+(?:the\s+|"
    r"all\s+(?:the\s+)?)?"
    r"(?:[\w-]+\s+)?(?:comms|communications?|"
    r"updates|stakeholder\s+\w+|status\s+(?:page|updates))|so\s+(?:that\s+)?(?:I|we|"
    r"the\s+engineers?)\s+could\s+"
    r"(?:focus|keep|stay)|(?:separate|dedicated)\s+(?:person|owner|lead|comms))\b"
)
COMM_GENERIC_RX = _rx(
    r"\b(?:kept\s+(?:everyone|people|folks|them|everybody|stakeholders)\s+(?:informed|posted|updated|"
    r"in\s+the\s+loop)|"
    r"let\s+(?:people|everyone|them)\s+know|communicat\w+|informed|stakeholders)\b"
)

_NOT_ACTIONS = (
    r"(?:guessed|assumed|learned|wanted|needed|hoped|believed|supposed|liked|loved|hated|worried|wondered|"
    r"panicked|"
    r"felt|thought|think|guess|mean|meant|feel|believe|suppose|remember|remembered|forgot|hated|wished|"
    r"used\s+to)"
)
I_ACTION_RX = _rx(
    rf"\bI\s+(?:\w+ly\s+|then\s+|also\s+|just\s+|first\s+|eventually\s+|finally\s+)?(?!{_NOT_ACTIONS}\b)"
    r"(?:was\s+(?:the\s+)?(?:on-?call|on\s+call|incident\s+commander|IC|lead|primary|secondary|"
    r"release\s+captain|"
    r"tech\s+lead|engineer|one\s+who|driving|running|leading|coordinating)|[a-z]+ed|made\s+the\s+(?:call|"
    r"decision)|ran|took|"
    r"drove|led|wrote|built|chose|set|split|sat|kept|sent|told|brought|froze|found|saw|went|got|dug|spun|hit|"
    r"put|pulled|"
    r"made|gave|held|shut|cut|began|caught|had\s+(?:the\s+)?(?:team|on-?call)|own(?:ed)?)\b"
)
I_DECISION_RX = _rx(
    r"\bI\s+(?:\w+ly\s+)?(?:decided|made\s+the\s+(?:call|decision)|chose|called\s+(?:it|for|the)|declared|"
    r"proposed|"
    r"insisted|pushed\s+(?:for|back)|argued|approved|ordered|asked\s+\w+\s+to|assigned|"
    r"took\s+(?:the\s+)?(?:lead|"
    r"role|ownership|over\s+as)|was\s+(?:the\s+)?(?:incident\s+commander|IC|lead))\b"
)
TEAM_RX = _rx(
    r"\b(?:we|us|our\s+team|the\s+team|my\s+team|teammates?|colleagues?|on-?call\s+(?:partner|engineer|SRE)|"
    r"SREs?|"
    r"(?:the|our|their)\s+[\w-]+\s+team|together|with\s+(?:\w+\s+)?help|paired|pairing)\b"
)
HANDOFF_RX = _rx(
    r"\b(?:handed?\s+(?:off|over)|hand-?offs?|escalat\w+|paged\s+(?:in\s+)?(?:the|a|our|their|"
    r"(?-i:[A-Z]\w+))|pulled\s+in|"
    r"brought\s+in|looped\s+in|incident\s+commander|took\s+(?:over\s+)?(?:comms|the\s+lead)|"
    r"asked\s+(?-i:[A-Z]\w+)\s+to|"
    r"asked\s+(?:the|our|my)\s+[\w-]+(?:\s+[\w-]+)?\s+to|while\s+(?-i:[A-Z]\w+)\s+(?:handled|took|ran|worked|"
    r"drove|owned|did|kept)|"
    r"(?:(?-i:[A-Z]\w+)|(?:the|our)\s+[\w-]+\s+(?:team|lead|engineer|SRE))\s+(?:handled|took|ran|owned|"
    r"drove)\b)"
)
PASSIVE_RX = _rx(
    r"\b(?:it|the\s+\w+|everything|things)\s+(?:was|were|got)\s+(?:eventually\s+|"
    r"finally\s+)?(?:rolled\s+back|fixed|"
    r"resolved|restarted|handled|sorted|restored|reverted)\b|\bsomeone\s+(?:\w+\s+)?(?:fixed|restarted|"
    r"rolled)\b"
)

POSTMORTEM_RX = _rx(
    r"\b(?:post-?mortems?|postmortems?|retro(?:spective)?s?|incident\s+reviews?|PIR|RCA|action\s+items?|"
    r"follow-?ups?|"
    r"lessons?\s+learned|COE)\b"
)
PREVENT_VERB_RX = _rx(
    r"\b(?:added|add|introduced|built|wrote|shipped|created|set\s+up|put\s+in(?:\s+place)?|implemented|"
    r"automated|enabled|"
    r"enforced|required|requires|changed|replaced|removed|made|rolled\s+out|adopted|switched|split|capped|"
    r"tightened|"
    r"lowered|raised|turned\s+on|moved\s+to|migrated|wired|instrumented|documented|codified|since\s+then|"
    r"from\s+then\s+on|no\s+longer|going\s+forward|now\s+(?:\w+\s+)?(?:has|have|runs?|requires?|blocks?|"
    r"checks?|"
    r"alerts?|pages?|fails?|rejects?|validates?|gets?|is|are|goes|go|uses?|must|can't|cannot)|"
    r"we\s+now|now\s+we|there(?:'s|\s+is)\s+now|today\s+(?:every|the|our|all))\b"
    r"(?!\s+(?:by|in\s+the\s+(?:bad|faulty|broken)))"  # "a limit lowered by a config change" is the cause, not a fix
)
COUNTERFACTUAL_RX = _rx(
    r"\b(?:would|should|could|might)\s+have\b|\b(?:would|should|could)'ve\b|\bI\s+wish\b|\bif\s+I\s+(?:did|"
    r"had|could)\b"
    r"|\bhad\s+(?:been\s+)?(?:\w+ly\s+)?(?:created|changed|added|set|made|built|written|issued|enabled|"
    r"turned|moved|removed)\b"
    r"|\bmeaning\s+to\b|\btalk(?:ed)?\s+about\s+adding\b|\bnever\s+got\s+(?:prioriti[sz]ed|done|built)\b"
)
PREVENT_STRONG_VERB_RX = _rx(
    r"\b(?:we|I)\s+(?:also\s+|then\s+)?(?:added|built|introduced|enabled|required|shipped|set\s+up|automated|"
    r"wrote|"
    r"made\s+[\w\s-]{1,40}?\s+(?:require|mandatory|default))\b"
)
AFTER_RX = _rx(
    r"\b(?:post-?mortem|retro\w*|afterwards?|after\s+(?:that|the\s+(?:incident|outage|postmortem|retro|"
    r"review))|"
    r"since\s+then|follow-?ups?|going\s+forward|from\s+then\s+on|now|(?:next|following)\s+(?:sprint|week|"
    r"month|quarter)|"
    r"within\s+(?:\w+\s+){0,2}(?:days?|weeks?|months?|sprints?)|action\s+items?|in\s+the\s+(?:weeks?|months?|"
    r"days?)\s+after)\b"
)
PREVENT_ARTIFACT_RX = _rx(
    r"\b(?:alerts?|alarms?|monitors?|monitoring|tests?|lint(?:er|ers|ing|\s+rule)?|canary(?:\s+stage)?|"
    r"canaries|"
    r"staged\s+rollouts?|progressive\s+rollouts?|runbooks?|playbooks?|checklists?|validation|validators?|"
    r"schema\s+checks?|"
    r"checks?|gates?|guardrails?|limits?|quotas?|schemas?|timeouts?|circuit\s+breakers?|backoff|jitter|"
    r"rate\s+limits?|"
    r"dashboards?|SLOs?|automation|auto-?renew\w*|chaos\s+\w+|game\s*days?|drills?|load\s+tests?|"
    r"feature\s+flags?|"
    r"kill\s+switch\w*|reviews?|approvals?|rules?|polic(?:y|ies)|dry[- ]runs?|pre-?commit|CI\s+(?:steps?|"
    r"checks?|jobs?)|"
    r"synthetic\s+(?:checks?|probes?|monitors?)|budgets?|inventory|ownership|owner|on-?call\s+rotation|"
    r"training|"
    r"admission\s+controller|lock|idempotency\s+keys?|retention|rotation|expiry|TTLs?|safeguards?|"
    r"constraints?|"
    r"restore\s+tests?|migration\s+tool\w*|template|default)\b"
)
PREVENT_GENERIC_RX = _rx(
    r"\b(?:more|better|some|additional|extra|improved|improve|new)\s+(?:monitoring|alerts?|tests?|testing|"
    r"alerting|"
    r"checks?|logging|documentation|docs|processes|process)\b(?!\s+(?:on|for|that|which|when|at|to|in|before|"
    r"if|so)\b)"
)
PREVENT_VERIFIED_RX = _rx(
    r"\b(?:has(?:n't|\s+not)\s+(?:happened|recurred|come\s+back|repeated)|never\s+(?:happened|recurred|"
    r"came\s+back)\s+again|"
    r"(?:fired|paged|caught|blocked|rejected|stopped|flagged)\s+(?:\w+\s+){0,3}(?:again|since|twice|once|"
    r"three\s+times|"
    r"before|two|three|a\s+(?:bad|second|similar|real))|since\s+then|would\s+have\s+caught|caught\s+(?:it|"
    r"one|two|a|"
    r"the\s+next|another)|prevented|proved|proven|worked\s+(?:when|the\s+next)|zero\s+(?:incidents|repeats|"
    r"recurrences)|"
    r"saved\s+us|dropped\s+(?:from|to)|went\s+from|measured|tracked\s+(?:it|the)|verified|"
    r"game\s*day\s+(?:showed|proved))\b"
)
CLASS_WIDE_RX = _rx(
    r"\b(?:every|all|any)\s+(?:\w+\s+){0,2}?(?:services?|teams?|configs?|config\s+changes|changes|deploys?|"
    r"deployments?|"
    r"certificates?|certs|jobs?|clusters?|repos?|repositories|pipelines?|queues?|databases?|caches?|flags?|"
    r"migrations?|"
    r"releases?|endpoints?|regions?|consumers?|schemas?|tables?|hosts?|batch\s+jobs?|cron\s+jobs?|"
    r"dependencies|vendors?|"
    r"clients?|apps?|secrets?|domains?|buckets?|accounts?|integrations?)\b"
    r"|\b(?:across\s+(?:the\s+)?(?:org|organi[sz]ation|company|fleet|platform|all|every|teams|services|"
    r"the\s+board)|"
    r"org-?wide|company-?wide|fleet-?wide|platform-?wide|class\s+of|category\s+of|whole\s+(?:class|category|"
    r"family)|"
    r"other\s+teams\s+(?:adopted|use|picked)|shared\s+(?:library|platform|tooling|module)|paved\s+road|"
    r"by\s+default|default\s+for|(?:platform|infra(?:structure)?)\s+level|(?:org|company)\s+standard)\b"
)
PREVENT_NONE_RX = _rx(
    r"\b(?:never|didn't|did\s+not|no|wasn't|was\s+not)\s+(?:\w+\s+){0,2}?(?:post-?mortems?|postmortem|"
    r"retro\w*|"
    r"follow-?ups?|action\s+items|changes?|time\s+to)\b|\bnothing\s+(?:really\s+|much\s+)?changed\b|"
    r"\bdidn't\s+(?:really\s+)?change\s+anything\b|\bmoved\s+on\b|\bback\s+to\s+(?:normal|business|"
    r"our\s+sprint)\b"
)

REFLECT_RX = _rx(
    r"\b(?:in\s+hindsight|looking\s+back|in\s+retrospect|next\s+time|if\s+I\s+(?:did|had|were|could|was|"
    r"had\s+to)|"
    r"I(?:\s+would|'d)\s+have|I\s+would've|I'd\s+(?:\w+\s+){0,3}?(?:sooner|earlier|faster|differently|first)|"
    r"I\s+should\s+have|I\s+should've|I\s+wish\s+I|I\s+(?:was|were)\s+too\s+(?:slow|quick|focused|"
    r"fixated|stubborn|confident|attached|narrow|eager|late|cautious|hesitant)|my\s+(?:mistake|error|bias|"
    r"blind\s+spot|fault)|"
    r"I\s+(?:learned|realized|realised|took\s+away)|lessons?\s+(?:for\s+me|I)|what\s+I(?:'d|"
    r"\s+would)\s+(?:do|change)|"
    r"mistake\s+I\s+made|I\s+(?:wasted|lost|spent\s+too)|I\s+underestimated|I\s+overestimated|"
    r"I\s+got\s+(?:tunnel|fixated|anchored)|tunnel\s+vision|(?:I|we)\s+(?:was|were)\s+(?:too\s+)?(?:slow|"
    r"late)\s+to|"
    r"would\s+do\s+differently|do\s+(?:it\s+)?differently|I'd\s+change|went\s+well|didn't\s+go\s+well)\b"
)
REFLECT_GENERIC_RX = _rx(
    r"\b(?:learned\s+a\s+lot|taught\s+me\s+a\s+lot|learning\s+experience|(?:communication|teamwork)\s+(?:is|"
    r"matters)|"
    r"staying\s+calm|under\s+pressure|good\s+lesson)\b"
)
REFLECT_SPECIFIC_RX = _rx(
    r"\b(?:sooner|earlier|faster|instead|rather\s+than|because|which\s+cost|cost\s+us|before|after|minutes?|"
    r"hours?|"
    r"rolled|roll\s+back|rollback|declared?|paged?|escalat\w+|asked|written|wrote|call(?:ed)?|trust\w*|"
    r"hand(?:ed)?|"
    r"split|comms|dashboard|alert|timebox\w*|hypothes\w+)\b"
)
REFLECT_NEGATIVE_RX = _rx(
    r"\b(?:wouldn't|would\s+not|won't)\s+(?:really\s+)?(?:change|do)\s+(?:anything|a\s+thing|much)|"
    r"nothing\s+(?:I|we)\s+(?:would|could|'d)\s+(?:have\s+)?(?:change|done|do)|I\s+(?:think\s+)?I\s+did\s+"
    r"(?:everything|it\s+all)\s+right|not\s+much\s+(?:I|we)\s+(?:would|could)"
)

# --- flags ---------------------------------------------------------------------------------

HERO_RX = _rx(
    r"\b(?:single-?handed\w*|by\s+myself|on\s+my\s+own|all\s+(?:by\s+)?myself|"
    r"(?:I\s+was\s+)?the\s+only\s+(?:one|person|"
    r"engineer)\s+(?:who|that|to|awake|online)|no\s*(?:one|body)\s+else\s+(?:(?:on|in)\s+(?:the|my|"
    r"our)\s+(?:team|room|call)\s+)?(?:could|knew|was|understood|had|would|"
    r"figured|noticed|did)|without\s+(?:any\s+)?(?:help|anyone)|I\s+(?:basically\s+|pretty\s+much\s+)?saved|"
    r"saved\s+the\s+(?:day|company|launch|quarter|weekend)|everyone\s+else\s+(?:was|"
    r"were)\s+(?:\w+\s+)?(?:panicking|"
    r"stuck|lost|confused|clueless|asleep|useless|freaking)|while\s+(?:everyone|the\s+rest|others|"
    r"the\s+others|"
    r"the\s+team)\s+(?:else\s+|of\s+the\s+team\s+)?(?:was|were)\s+(?:\w+\s+)?(?:panicking|stuck|lost|"
    r"confused|arguing|"
    r"useless|asleep|freaking|spinning|running\s+around)|(?:I|me)\s+alone|"
    r"it\s+was\s+(?:\w+ly\s+|basically\s+|pretty\s+much\s+)?(?:all\s+)?(?:me|on\s+me)\b|"
    r"(?:the|a)\s+hero|I\s+(?:just\s+)?took\s+over\s+(?:everything|the\s+whole)|I\s+did\s+(?:everything|"
    r"it\s+all)|"
    r"nobody\s+(?:else\s+)?(?:helped|stepped)|I\s+had\s+to\s+do\s+(?:everything|it\s+all)|"
    r"(?:the\s+)?(?:team|others|they)\s+(?:was|were)\s+(?:totally\s+|completely\s+)?(?:useless|clueless|"
    r"lost)|"
    r"(?:I\s+)?(?:fixed|solved|figured\s+out)\s+(?:it|the\s+whole\s+thing|everything)\s+(?:myself|alone|"
    r"on\s+my\s+own))"
)

_NOT_ACTORS = {
    "The",
    "This",
    "That",
    "These",
    "Those",
    "It",
    "We",
    "I",
    "Our",
    "So",
    "Then",
    "When",
    "After",
    "Once",
    "But",
    "And",
    "Within",
    "By",
    "At",
    "In",
    "On",
    "About",
    "Around",
    "Later",
    "Next",
    "First",
    "Finally",
    "Eventually",
    "Nobody",
    "Everyone",
    "Because",
    "While",
    "If",
    "Since",
    "Before",
    "Until",
    "Also",
    "Meanwhile",
    "Luckily",
    "Unfortunately",
    "Basically",
    "Honestly",
    "Looking",
    "Yeah",
    "Um",
    "Uh",
    "Well",
    "Okay",
    "OK",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "There",
    "Here",
    "What",
    "Which",
    "Who",
    "How",
    "Nothing",
    "No",
    "Someone",
    "Somebody",
    "Support",
    "Customers",
    "Users",
    "Two",
    "Three",
    "One",
    "Both",
    "All",
    "Each",
    "Every",
    "My",
    "His",
    "Her",
    "Their",
    "Its",
    "As",
    "For",
    "To",
    "From",
    "With",
    "Without",
    "Turns",
    "Apparently",
    "Afterwards",
    "Afterward",
    "Overall",
    "Actually",
    "Anyway",
    "Initially",
    "Thankfully",
    "Obviously",
    "Everything",
}
_NOT_ACTOR_ALT = "|".join(sorted(_NOT_ACTORS, key=len, reverse=True))

# a person or team as the actor
_PERSON = (
    rf"(?:(?!(?:{_NOT_ACTOR_ALT})\b)[A-Z][a-z]+|"
    r"(?i:the\s+(?:new|junior|other|offshore|contract|outsourced)\s+(?:guy|engineer|dev(?:eloper)?|hire|"
    r"person|intern|contractor|folks|team)|(?:an?|the|one|some|their|our|that)\s+(?:junior\s+|new\s+|"
    r"other\s+)?"
    r"(?:intern|contractor|engineer|developer|dev|guy|DBA|admin|sysadmin|analyst|PM|product\s+manager|"
    r"manager|tester|"
    r"consultant)s?|(?:the|their|that|another)\s+(?:[A-Za-z-]+\s+){0,2}team|DevOps|QA|ops|"
    r"the\s+ops\s+(?:folks|people|"
    r"guys)|some(?:one|body)(?:\s+(?:on|from|in)\s+(?:the\s+)?[\w-]+(?:\s+team)?)?|he|she|they|the\s+vendor|"
    r"the\s+other\s+team))"
)
_FAULT_ACT = (
    r"(?i:(?:pushed|shipped|deployed|merged|ran|made|changed|released|rolled\s+out|put\s+out|committed|wrote|"
    r"sent|"
    r"published|configured)\s+(?:a\s+|an\s+|the\s+|their\s+|his\s+|her\s+|some\s+)?"
    r"(?:\w+\s+)?(?:bad|broken|buggy|wrong|faulty|untested|sloppy|careless)\b|broke\s+(?:it|prod|production|"
    r"everything|things|stuff|something|the\b)|"
    r"messed\s+(?:it\s+|things\s+|everything\s+)?up|screwed\s+(?:it\s+|things\s+|everything\s+)?up|botched|"
    r"forgot\b|ignored|without\s+(?:telling|asking|checking\s+with|warning)\s+(?:anyone|anybody|us|me)|"
    r"skipped\s+(?:the|a|our)|didn't\s+(?:bother|test|check|read|follow|tell|review|understand|"
    r"think|ask|consider)|did\s+not\s+(?:bother|test|check|follow|tell|review|think|ask|consider)|"
    r"never\s+(?:tested|checked|told|followed|bothered)|"
    r"failed\s+to\s+(?:test|check|follow|tell|review|notice)|should(?:n't|\s+not)?\s+have\b|"
    r"(?:really\s+)?needs?\s+to\s+(?:test|check|learn|be\s+more\s+careful|get\s+(?:their|his|her)\s+act)|"
    r"(?:do|does|did)\s+(?:this|that|it)\s+all\s+the\s+time|"
    r"caused\s+(?:the|this|that|our|an?)\s+(?:\w+\s+)?(?:outage|incident|problem|mess|issue|failure)|"
    r"took\s+(?:us|the\s+site|prod|production|everything|the\s+\w+)\s+down|brought\s+(?:\w+\s+){0,2}down|"
    r"made\s+a\s+(?:big\s+|huge\s+|stupid\s+|dumb\s+)?mistake|dropped\s+the\s+(?:ball|table)|"
    r"deleted\s+(?:the\s+)?prod\w*)"
)
BLAME_ACT_RX = _rx(rf"\b(?P<actor>{_PERSON})(?:'s)?\s+(?:\w+\s+){{0,3}}?(?:{_FAULT_ACT})", 0)
BLAME_ACT_CI_RX = _rx(_FAULT_ACT)  # predicate alone, to find it case-insensitively after a case-exact actor
BLAME_WORD_RX = _rx(
    r"\b(?:(?:his|her|their|its|[A-Z][a-z]+'s)\s+fault|fault\s+of|(?:was|were|is|are)\s+to\s+blame|"
    r"blam(?:e|ed|es|ing)\s+(?:him|her|them|(?:the|that)\s+[\w-]+\s+(?:team|guy|engineer|intern|folks)|"
    r"(?-i:[A-Z][a-z]+)|"
    r"devops|qa|ops|it\s+on\s+(?:him|her|them|the))\b|"
    r"careless\w*|sloppy|incompeten\w+|lazy|clueless|cowboy|idiot\w*|(?:should|"
    r"could)\s+have\s+known\s+better|"
    r"be\s+more\s+careful|classic\s+(?-i:[A-Z][a-z]+)|(?:literally|just)\s+(?:his|her|their)\s+job|"
    r"(?:messes|screws)\s+(?:things\s+)?up\s+a\s+lot|"
    r"\bif\s+(?:the\s+[\w-]+\s+team|(?-i:[A-Z][a-z]+)|he|she|they)\s+had\s+(?:just\s+)?(?:followed|tested|"
    r"checked|read|"
    r"listened|been))"
)
SYSTEMIC_RX = _rx(
    r"\b(?:(?:process|pipeline|tooling|tool|system|review|CI|config\s+system|deploy\s+\w+|platform|runbook|"
    r"checklist)"
    r"\s+(?:\w+\s+){0,2}?(?:did\s+not|didn't|does\s+not|doesn't|had\s+no|has\s+no|wasn't|was\s+not|lacked|"
    r"allowed|let|"
    r"made\s+it)|nothing\s+(?:in|to|that|checked|stopped|prevented|caught)|"
    r"no\s+(?:check|review|guardrail|test|canary|validation|alert|safeguard|confirmation)s?\s+(?:that|to|for|"
    r"on|in)|"
    r"(?:wasn't|not|isn't)\s+(?:really\s+)?(?:his|her|their|anyone's)\s+fault|anyone\s+(?:could|"
    r"would)\s+have|"
    r"not\s+a\s+people\s+problem|human\s+slip|any\s+of\s+us|blameless|not\s+about\s+(?:him|her|them|who)|"
    r"made\s+it\s+easy)\b"
)

FIX_RX = _rx(r"\b(?:fix|fixed|fixes|fixing)\b")
FIX_DISTINCT_RX = _rx(
    r"\b(?:mitigat\w*|stop(?:ped|ping)?\s+the\s+bleeding|workaround|temporar\w*|stop-?gap|band-?aid|"
    r"short[- ]term|"
    r"quick\s+fix|contain(?:ed|ment)|stabili[sz]\w*)\b"
)

VAGUE_RX = _rx(
    r"\b(?:some\s+(?:issues?|problems?|stuff|errors|things|kind\s+of|sort\s+of|weird|bad|part|point|time)|"
    r"something\s+(?:went\s+wrong|broke|happened|like\s+that|weird|off|was\s+wrong|with\s+the)|stuff|"
    r"things\s+(?:went|were|got|broke|started)|(?:kind|sort)\s+of\s+(?:slow|bad|broken|down|weird|a\s+mess|"
    r"messy)|"
    r"a\s+(?:bunch|lot)\s+of\s+(?:issues|problems|errors|people|stuff|things|alerts|noise)|or\s+something|"
    r"and\s+so\s+on|etc\b|whatever|I\s+don't\s+(?:really\s+)?remember|I\s+can't\s+remember|don't\s+recall|"
    r"(?:it|this)\s+was\s+a\s+while\s+ago|at\s+some\s+point|somehow|the\s+usual|various|a\s+while|"
    r"some\s+(?:config|change|code|bug|service|system|job)|(?:a|some)\s+bug|the\s+thing|"
    r"everything\s+was\s+(?:down|broken|slow)|"
    r"it\s+was\s+(?:really\s+)?(?:bad|slow|a\s+mess)|pretty\s+(?:bad|quickly|fast|soon))\b"
)

# --- entities ------------------------------------------------------------------------------

TECH_RX = _rx(
    r"\b(?:Postgres(?:QL)?|MySQL|Aurora|Redis|Memcached?|Kafka|RabbitMQ|SQS|SNS|Kinesis|Elasticsearch|"
    r"OpenSearch|Solr|"
    r"Cassandra|MongoDB|Mongo|DynamoDB|S3|GCS|BigQuery|Snowflake|Spark|Airflow|Kubernetes|k8s|Docker|Nginx|"
    r"NGINX|HAProxy|"
    r"Envoy|Istio|Consul|etcd|ZooKeeper|Zookeeper|Vault|Terraform|Ansible|Jenkins|GitHub\s+Actions|CircleCI|"
    r"ArgoCD|Argo|"
    r"Helm|AWS|GCP|Azure|Cloudflare|Akamai|Fastly|Route\s?53|Stripe|Twilio|Okta|Auth0|Datadog|PagerDuty|"
    r"Opsgenie|Grafana|"
    r"Prometheus|Sentry|Splunk|New\s+Relic|Honeycomb|Lambda|EC2|RDS|ELB|ALB|CloudFront|CloudWatch|"
    r"Let's\s+Encrypt|"
    r"NTP|chrony|BGP|DNS|CDN|TLS|SSL|OAuth|SAML|LDAP|iOS|Android|App\s+Store|Play\s+Store|Firebase|GraphQL|"
    r"gRPC|Celery|"
    r"Sidekiq|cron|systemd|JVM|Hadoop|HDFS|Flink|ClickHouse|Vitess|CockroachDB|LaunchDarkly|PgBouncer|"
    r"pgbouncer|"
    r"Cassandra|Nomad|Linkerd|Varnish|Sendgrid|SendGrid|Mailgun|Segment|Algolia|Heroku|Vercel|Netlify|"
    r"GitHub|GitLab)\b",
    0,
)
_SYS_NOUN = (
    r"(?:service|services|API|APIs|database|DB|cluster|queue|cache|gateway|load\s+balancer|balancer|CDN|"
    r"pipeline|"
    r"cron\s*job|job|worker|workers|index|proxy|endpoint|app|backend|frontend|config|certificate|cert|"
    r"scheduler|"
    r"broker|replica|primary|bucket|table|schema|server|servers|fleet|deployment|library|SDK|microservice|"
    r"monolith|"
    r"platform|store|storage|disk|feature\s+flag|flag|resolver|zone|topic|consumer|consumers|producer|stream|"
    r"ETL|webhook|webhooks|sidecar|mesh|integration|provider|tier|layer|website|site|brokers?|pods?|nodes|"
    r"containers|"
    r"instances|hosts|VMs|portal|vault|link)"
)
_SYS_STOP = (
    r"(?:whole|same|new|old|entire|other|main|bad|first|one|every|each|all|some|any|my|his|her|their|our|a|"
    r"an|the|"
    r"which|what|down|up|back|out|into|from|by|at|as|so|not|no|also|just|then|when|is|was|were|and|or|to|of|"
    r"in|on|"
    r"for|with|that|this|it|we|they|wrong|right|affected|broken|failing|single|only|whole|live|that|those|"
    r"these|"
    r"across|over|under|between|per|about|around|than|uneven|most|many|few|several|both|"
    r"restarted|rolled|bounced|hit|took|called|sent|made|every|another|its|your|two|three|more|less|most)"
)
SYSTEM_RX = _rx(
    rf"(?<!')\b(?:(?:the|our)\s+)?(?:(?!{_SYS_STOP}\b|\w+ing\b)[A-Za-z0-9][\w.-]*\s+){{1,2}}{_SYS_NOUN}\b"
)
# a product area or a plain "the database": enough to know what broke, too generic to echo back
GENERIC_SYSTEM_RX = _rx(
    r"\b(?:the|our|their)\s+(?:[\w-]+\s+)?(?:app|website|site|API|database|DB|cache|queue|cluster|service|"
    r"backend|"
    r"server|servers|index|CDN|load\s+balancer|network|storage)\b|\b(?:payments?|checkout|logins?|sign-?ups?|"
    r"search|"
    r"billing|invoicing|notifications?|bookings?|SSO|single\s+sign-?on)\b"
)
TEAM_NAME_RX = _rx(
    r"\b(?:the|our|their)\s+(?:[A-Za-z-]+\s+){1,2}?team\b|\bDevOps\b|\bQA\b|\b(?:the|our|my|an?)\s+"
    r"(?:(?:new|junior|senior|other|staff|platform|database|security|support)\s+(?:engineer|developer|dev|"
    r"guy|hire)|"
    r"(?:new\s+|junior\s+|senior\s+|other\s+)?(?:intern|contractor|DBA|SRE|on-?call(?:\s+engineer)?|manager|"
    r"VP|CTO|"
    r"director|incident\s+commander|product\s+manager|PM|vendor|teammate|colleague|tech\s+lead|"
    r"support\s+lead))\b"
)
NAME_RX = _rx(r"\b[A-Z][a-z]{2,}(?:'s)?\b", 0)
_NAME_VERBS_RX = _rx(
    r"^(?:'s\s+)?\s*(?:(?:from|on|in|at|of|with)\s+(?:the\s+|our\s+)?[\w-]+(?:\s+team)?\s+)?"
    r"(?:(?!we\b|i\b|they\b|it\b|you\b|he\b|she\b)\w+\s+)?(?:pushed|ran|said|was|had|told|asked|took|handled|"
    r"owned|drove|paged|joined|wrote|"
    r"deployed|merged|made|changed|found|noticed|kept|did|broke|forgot|started|called|led|is|ran|and\s+I)\b",
    word_start=False,
)
_NAME_PRECEDERS_RX = _rx(r"\b(?:with|asked|told|paged|called|and|to|from|by|thanks\s+to|me\s+and)\s+$")
_NOT_NAME_PRECEDERS_RX = _rx(r"\b(?:the|a|an|our|their|in|on|at|for|of)\s+$")
_NOT_NAMES = {
    "Europe",
    "Asia",
    "America",
    "Africa",
    "Black",
    "Friday",
    "Christmas",
    "Android",
    "Apple",
    "Google",
    "Amazon",
    "Microsoft",
    "Slack",
    "Zoom",
    "Play",
    "Console",
    "Store",
    "Jira",
    "Confluence",
    "Sev",
    "Postmortem",
    "English",
    "January",
    "February",
    "March",
    "April",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Thanksgiving",
    "Cyber",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Saturday",
    "Sunday",
}
SENTENCE_START_RX = _rx(r"(?:^|[.!?]\s+|\n\s*)$", word_start=False)


def systems(text: str) -> list[Hit]:
    """Systems the candidate named: proper tech names and "the checkout service"-style phrases."""
    hits = find(TECH_RX, text, "tech") + find(SYSTEM_RX, text, "system")
    return _merge(hits)


def people(text: str) -> list[Hit]:
    """People and teams the candidate named (names, roles, "the platform team")."""
    hits = find(TEAM_NAME_RX, text, "team")
    tech_spans = [(h.start, h.end) for h in find(TECH_RX, text)]
    for m in NAME_RX.finditer(text):
        word = m.group().removesuffix("'s")
        if word in _NOT_ACTORS or word in _NOT_NAMES or any(s <= m.start() < e for s, e in tech_spans):
            continue
        before = text[max(0, m.start() - 20) : m.start()]
        at_start = bool(SENTENCE_START_RX.search(before))
        after = text[m.end() : m.end() + 30]
        mid_sentence_name = (
            not at_start and not _NOT_NAME_PRECEDERS_RX.search(before) and not after[:2].strip()[:1].isupper()
        )
        if (
            _NAME_VERBS_RX.match(after)
            or mid_sentence_name
            or (not at_start and _NAME_PRECEDERS_RX.search(before))
        ):
            hits.append(Hit(m.start(), m.start() + len(word), "name"))
    return _merge(hits)


# --- flag detectors over sentences ----------------------------------------------------------


def blame_hits(doc: Doc) -> list[Hit]:
    """Sentences naming a person or team as the cause, unless the same sentence frames it systemically."""
    text = doc.text
    out: list[Hit] = []
    for span in doc.sentences:
        sentence = span.of(text)
        if SYSTEMIC_RX.search(sentence):
            continue
        found = next(
            (m for m in BLAME_WORD_RX.finditer(sentence) if not is_negated(sentence, m.start())), None
        )
        if found is None:
            for m in BLAME_ACT_RX.finditer(sentence):
                actor = m.group("actor").removesuffix("'s")
                if actor in _NOT_ACTORS or TECH_RX.match(actor):
                    continue
                found = m
                break
        if found is not None:
            out.append(Hit(span.start + found.start(), span.start + found.end(), "blame"))
    return out


def hero_hits(doc: Doc) -> list[Hit]:
    text = doc.text
    out: list[Hit] = []
    for m in HERO_RX.finditer(text):
        floor = doc.sentences[doc.sentence_index(m.start())].start if doc.sentences else 0
        if not is_negated(text, m.start(), floor):
            out.append(Hit(m.start(), m.end(), "hero"))
    return out


def not_negated(doc: Doc, hits: list[Hit]) -> list[Hit]:
    """Hits whose clause carries no negation before them."""
    out = []
    for h in hits:
        floor = doc.sentences[doc.sentence_index(h.start)].start if doc.sentences else 0
        if not is_negated(doc.text, h.start, floor):
            out.append(h)
    return out
