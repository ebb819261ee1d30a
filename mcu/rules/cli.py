"""`flask rules list|add|remove|toggle`: keyword routing rules from the command line."""
import click
from flask.cli import AppGroup

from ..extensions import db
from ..models import Department, Topic
from . import service

rules_cli = AppGroup("rules", help="Keyword routing rules.")


@rules_cli.command("list")
def list_rules():
    """Show the rules in the order they are tried."""
    departments = {d.id: d.short_name for d in db.session.scalars(db.select(Department))}
    topics = {t.id: t.name for t in db.session.scalars(db.select(Topic))}
    for rule in service.rules():
        state = "" if rule.enabled else " (выключено)"
        topic = f", тематика «{topics.get(rule.topic_id)}»" if rule.topic_id else ""
        click.echo(f"{rule.id}: «{rule.keyword}» → {departments.get(rule.department_id)}{topic}{state}")


@rules_cli.command("add")
@click.argument("keyword")
@click.option("--department", required=True, help="Department short name.")
@click.option("--topic", default=None, help="Topic name to set when the incident has none.")
def add_rule(keyword, department, topic):
    """Add a rule: text containing KEYWORD goes to the department."""
    dep_id = db.session.scalar(db.select(Department.id).filter_by(short_name=department))
    topic_id = db.session.scalar(db.select(Topic.id).filter_by(name=topic)) if topic else None
    if topic and topic_id is None:
        raise click.ClickException(f"нет тематики «{topic}»")
    try:
        rule = service.add(keyword, dep_id, topic_id)
    except service.RuleError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"добавлено правило {rule.id}")


@rules_cli.command("remove")
@click.argument("rule_id", type=int)
def remove_rule(rule_id):
    """Delete a rule by its number."""
    if not service.remove(rule_id):
        raise click.ClickException(f"нет правила {rule_id}")
    click.echo(f"правило {rule_id} удалено")


@rules_cli.command("toggle")
@click.argument("rule_id", type=int)
def toggle_rule(rule_id):
    """Switch a rule off or back on."""
    rule = service.toggle(rule_id)
    if rule is None:
        raise click.ClickException(f"нет правила {rule_id}")
    click.echo(f"правило {rule_id} {'включено' if rule.enabled else 'выключено'}")
