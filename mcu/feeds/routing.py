"""Routing a new incident: the topic's department first, then the keyword rules an admin edits."""
from dataclasses import dataclass

from ..extensions import db
from ..models import Department, RoutingRule, Topic
from ..text import search_key


def fold(value: str | None) -> str:
    """The comparison form of a name or keyword: case- and ё-insensitive, single spaces."""
    return search_key(value or "")


@dataclass
class Router:
    """Topics, departments and keyword rules loaded once (three statements), then used for a whole batch."""

    topic_ids: dict  # folded topic name -> topic id
    topic_departments: dict  # topic id -> department id or None
    department_ids: dict  # folded department name or short name -> department id
    rules: list  # (folded keyword, department id, topic id or None, label), in order

    @classmethod
    def load(cls) -> "Router":
        topics = db.session.execute(db.select(Topic.id, Topic.name, Topic.department_id, Topic.keywords)).all()
        departments = db.session.execute(db.select(Department.id, Department.name, Department.short_name)).all()
        rules = db.session.execute(
            db.select(RoutingRule.keyword, RoutingRule.department_id, RoutingRule.topic_id)
            .where(RoutingRule.enabled.is_(True)).order_by(RoutingRule.position, RoutingRule.id)).all()
        department_ids = {}
        for ident, name, short in departments:
            department_ids[fold(name)] = ident
            department_ids.setdefault(fold(short), ident)
        compiled = [(fold(k), d, t, k.strip()) for k, d, t in rules if fold(k)]
        for ident, _name, dep, keywords in topics:  # a topic's own keywords come after the admin's rules
            if dep is None:
                continue
            for keyword in (keywords or "").replace(";", ",").replace("\n", ",").split(","):
                if fold(keyword):
                    compiled.append((fold(keyword), dep, ident, keyword.strip()))
        return cls({fold(name): ident for ident, name, _d, _k in topics},
                   {ident: dep for ident, _n, dep, _k in topics}, department_ids, compiled)

    def topic_id(self, name: str | None) -> int | None:
        """A topic by name, ignoring case, ё and spaces; None when there is no such topic."""
        return self.topic_ids.get(fold(name)) if name else None

    def department_id(self, name: str | None) -> int | None:
        """A department by full or short name; None when unknown."""
        return self.department_ids.get(fold(name)) if name else None

    def route(self, folded_text: str, topic_id: int | None) -> tuple[int | None, int | None, str]:
        """(department id, topic id, why) for a text already folded with search_key; (None, topic, "") when
        nothing matches, which leaves the incident in the «Не распределено» lane."""
        if topic_id is not None:
            dep = self.topic_departments.get(topic_id)
            if dep is not None:
                return dep, topic_id, "topic"
        for keyword, dep, rule_topic, label in self.rules:
            if keyword in folded_text:
                return dep, topic_id if topic_id is not None else rule_topic, label
        return None, topic_id, ""


def route(text: str, topic_id: int | None = None) -> tuple[int | None, int | None]:
    """(department id, topic id) for one text: the topic's department, else the first keyword rule matching."""
    dep, topic, _why = Router.load().route(fold(text), topic_id)
    return dep, topic
