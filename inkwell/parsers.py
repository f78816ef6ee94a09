"""The API's JSON parser: DRF's, except that a body nested too deep for Python's parser (a few thousand
"[" in a row) is a 400 parse error like any other malformed JSON, not a RecursionError and a 500."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type=media_type, parser_context=parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
