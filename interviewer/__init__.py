"""interviewer: a spoken mock interviewer for the production-incident behavioral question."""

__version__ = "0.1.0"
