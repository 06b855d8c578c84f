"""Outlet parsers, by the name an outlet's `parser` key uses; each maps to its versions, newest
first. Extraction uses the first version whose `applies(page)` is true."""
from crawler.extraction.parsers.rfa import RFAArcParser

PARSERS = {
    "rfa": (RFAArcParser,),
}
