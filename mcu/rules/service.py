"""Adding, switching and removing keyword rules (no request here)."""
from ..extensions import db
from ..feeds.routing import fold
from ..models import Department, RoutingRule, Topic


class RuleError(ValueError):
    """A rule that cannot be saved; str() is a Russian message."""


def rules() -> list[RoutingRule]:
    return list(db.session.scalars(db.select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)))


def add(keyword: str, department_id: int | None, topic_id: int | None = None) -> RoutingRule:
    """A new rule at the end of the list; the keyword is matched case- and ё-insensitively anywhere in the text."""
    keyword = " ".join((keyword or "").split())
    if not fold(keyword):
        raise RuleError("Укажите ключевое слово.")
    if len(keyword) > 200:
        raise RuleError("Ключевое слово длиннее 200 символов.")
    if department_id is None or db.session.get(Department, department_id) is None:
        raise RuleError("Выберите подразделение.")
    if topic_id is not None and db.session.get(Topic, topic_id) is None:
        raise RuleError("Такой тематики нет.")
    if any(fold(r.keyword) == fold(keyword) for r in rules()):
        raise RuleError(f"Правило для «{keyword}» уже есть.")
    last = db.session.scalar(db.select(db.func.max(RoutingRule.position))) or 0
    rule = RoutingRule(keyword=keyword, department_id=department_id, topic_id=topic_id, position=last + 1)
    db.session.add(rule)
    db.session.commit()
    return rule


def unrouted_topics() -> list[Topic]:
    """Topics without a department (made by an import, or «Прочее»): their messages go by the keyword rules."""
    return list(db.session.scalars(db.select(Topic).where(Topic.department_id.is_(None)).order_by(Topic.name)))


def route_topic(topic_id: int, department_id: int | None) -> Topic | None:
    """Give a topic its department: new messages of that topic go there (messages already routed stay where they
    are). None when there is no such topic; a RuleError for a department that does not exist."""
    topic = db.session.get(Topic, topic_id)
    if topic is None:
        return None
    if department_id is None or db.session.get(Department, department_id) is None:
        raise RuleError("Выберите подразделение.")
    topic.department_id = department_id
    db.session.commit()
    return topic


def toggle(rule_id: int) -> RoutingRule | None:
    rule = db.session.get(RoutingRule, rule_id)
    if rule is not None:
        rule.enabled = not rule.enabled
        db.session.commit()
    return rule


def remove(rule_id: int) -> bool:
    rule = db.session.get(RoutingRule, rule_id)
    if rule is None:
        return False
    db.session.delete(rule)
    db.session.commit()
    return True
