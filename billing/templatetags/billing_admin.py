from django import template

from billing.selectors import mrr_by_plan

register = template.Library()


@register.simple_tag
def billing_mrr() -> dict:
    rows = mrr_by_plan()
    return {"rows": rows, "total": sum(row["mrr"] for row in rows)}
