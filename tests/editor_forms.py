"""Posting the editor's form back the way a browser does: every field as it is in the page."""

from bs4 import BeautifulSoup


def form_fields(html: bytes | str, form_id: str = "editor-form") -> dict[str, str]:
    """The values a browser would submit from the form (buttons excluded)."""
    form = BeautifulSoup(html, "html.parser").find(id=form_id)
    data: dict[str, str] = {}
    for field in form.find_all(["input", "textarea", "select"]):
        name = field.get("name")
        if not name or field.name == "input" and field.get("type") in ("submit", "button"):
            continue
        if field.name == "textarea":
            data[name] = field.string or ""
        elif field.name == "select":
            chosen = field.find("option", selected=True) or field.find("option")
            data[name] = chosen.get("value", chosen.get_text()) if chosen else ""
        elif field.get("type") in ("radio", "checkbox"):
            if field.has_attr("checked"):
                data[name] = field.get("value", "on")
        else:
            data[name] = field.get("value", "")
    return data


def step_index(data: dict[str, str], label: str) -> int:
    return next(i for i in range(int(data["steps"])) if data[f"step-{i}-label"] == label)
