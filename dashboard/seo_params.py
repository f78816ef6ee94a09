"""What the SEO page's URL asks for: the tab (queries or pages), the sort and its direction, a search
and a page. Anything unknown or out of range falls back to the default and says so; never an error
page."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms

from dashboard.selectors import SEO_PAGE_SIZE
from marketing.metrics import ORDERINGS, SEARCH_MAX_LENGTH

PAGE_SIZE = SEO_PAGE_SIZE
MAX_PAGE = 10_000
DIMENSIONS = {
    "query": {"tab": "queries", "title": "Search queries", "singular": "query", "plural": "queries"},
    "page": {"tab": "pages", "title": "Pages", "singular": "page", "plural": "pages"},
}
TABS = {d["tab"]: key for key, d in DIMENSIONS.items()}
# The columns a user sorts by, in the table's order (all of ORDERINGS).
SORT_COLUMNS = [
    ("clicks", "Clicks"),
    ("click_change", "Change"),
    ("impressions", "Impressions"),
    ("ctr", "CTR"),
    ("position", "Position"),
    ("position_change", "Position change"),
]
NATURAL_DESCENDING = {key: ORDERINGS[key][0][1] for key, _ in SORT_COLUMNS}
DIRECTIONS = {"asc": False, "desc": True}


@dataclass
class TableParams:
    dimension: str = "query"
    sort: str = "clicks"
    descending: bool = True
    search: str = ""
    page: int = 1
    errors: list[str] = field(default_factory=list)

    @property
    def tab(self) -> str:
        return DIMENSIONS[self.dimension]["tab"]

    @property
    def direction(self) -> str:
        return "desc" if self.descending else "asc"


def table_params(get) -> TableParams:
    params = TableParams()
    tab = get.get("tab", "queries")
    if tab in TABS:
        params.dimension = TABS[tab]
    else:
        params.errors.append("Unknown tab: showing search queries.")

    sort = get.get("sort", "clicks")
    if sort in NATURAL_DESCENDING:
        params.sort = sort
    else:
        params.errors.append("Unknown sort: sorted by clicks instead.")
    params.descending = NATURAL_DESCENDING[params.sort]
    direction = get.get("dir")
    if direction in DIRECTIONS:
        params.descending = DIRECTIONS[direction]
    elif direction is not None:
        params.errors.append("Unknown sort direction: sorted the usual way instead.")

    search = get.get("q", "").strip()
    if len(search) > SEARCH_MAX_LENGTH:
        params.errors.append(f"Search for at most {SEARCH_MAX_LENGTH} characters: showing everything.")
        search = ""
    elif "\x00" in search:  # PostgreSQL can't compare text holding one
        params.errors.append("A search can't contain a NUL character: showing everything.")
        search = ""
    params.search = search

    raw_page = get.get("page", "1")
    try:
        page = int(raw_page)
    except ValueError:
        page = 0
    if 1 <= page <= MAX_PAGE:
        params.page = page
    else:
        params.errors.append("No such page: showing the first one.")
    return params


class TrendForm(forms.Form):
    dimension = forms.ChoiceField(choices=[(key, d["singular"]) for key, d in DIMENSIONS.items()])
    value = forms.CharField(max_length=1000, strip=False)
