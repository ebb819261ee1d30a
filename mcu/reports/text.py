"""Russian words for the report: plural forms, numbers and per cents as the seed report writes them, the names
of periods, and the paragraph «Текст для отчёта» in the seed's own style.

Flask-Babel's ``ngettext`` without a catalog knows two forms (1 / other), Russian needs three, and Russian is
this project's source language (no .po file): ``plural`` is the rule, each form a msgid of its own.
"""
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .periods import MONTH, QUARTER, WEEK, YEAR, Period

NBSP = "\u00a0"
TOP_TOPICS = 4  # the paragraph names the most frequent topics, as the seed names four
MONTHS = (_l("январь"), _l("февраль"), _l("март"), _l("апрель"), _l("май"), _l("июнь"), _l("июль"),
          _l("август"), _l("сентябрь"), _l("октябрь"), _l("ноябрь"), _l("декабрь"))
MONTHS_IN = (_l("январе"), _l("феврале"), _l("марте"), _l("апреле"), _l("мае"), _l("июне"), _l("июле"),
             _l("августе"), _l("сентябре"), _l("октябре"), _l("ноябре"), _l("декабре"))
MONTHS_WITH = (_l("январём"), _l("февралём"), _l("мартом"), _l("апрелем"), _l("маем"), _l("июнем"), _l("июлем"),
               _l("августом"), _l("сентябрём"), _l("октябрём"), _l("ноябрём"), _l("декабрём"))
QUARTERS = ("I", "II", "III", "IV")
QUARTERS_IN = (_l("в I квартале"), _l("во II квартале"), _l("в III квартале"), _l("в IV квартале"))
QUARTERS_WITH = (_l("с I кварталом"), _l("со II кварталом"), _l("с III кварталом"), _l("с IV кварталом"))


def plural(number, one: str, few: str, many: str, fraction: str | None = None) -> str:
    """The form of a noun after a number: 1, 21, 101 сообщение; 2-4, 22-24 сообщения; 0, 5-20, 11-14, 111
    сообщений; after a fraction the genitive singular, ``fraction`` where it differs from «few» (2,5 рабочего
    часа, but 2 рабочих часа)."""
    if number != int(number):
        return fraction or few
    n = abs(int(number))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def _half_up(value, places: int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def number(value, places: int = 0, grouped: bool = True) -> str:
    """A number as Russian text: a decimal comma, rounded half up; five digits and more grouped by thousands
    with a no-break space (8238, 14 827) unless not ``grouped`` (CSV)."""
    rounded = _half_up(value, places)
    whole, _dot, fraction = f"{abs(rounded):.{places}f}".partition(".")
    if grouped and len(whole) > 4:
        whole = f"{int(whole):,}".replace(",", NBSP)
    return ("-" if rounded < 0 else "") + whole + ("," + fraction if fraction else "")


def percent(value, places: int = 1, spaced: bool = False) -> str:
    """Per cent as the seed writes it: «39,6%» for a share, «13 %» for growth (``spaced``)."""
    return number(value, places) + (NBSP if spaced else "") + "%"


def messages(count) -> str:
    """«1 сообщение», «2 сообщения», «5 сообщений»."""
    return f"{number(count)} " + plural(count, _("сообщение"), _("сообщения"), _("сообщений"))


def hours(value) -> str:
    """Working hours to a tenth: «1 рабочий час», «2 рабочих часа», «2,5 рабочего часа», «5 рабочих часов»."""
    rounded = _half_up(value, 1)
    places = 0 if rounded == int(rounded) else 1
    return f"{number(rounded, places)} " + plural(rounded, _("рабочий час"), _("рабочих часа"), _("рабочих часов"),
                                                  _("рабочего часа"))


def whole(value) -> int:
    """A count rounded half up (284,5 per week is 285)."""
    return int(_half_up(value, 0))


def capital(text: str) -> str:
    """The first letter capitalised, the rest as written («Во II квартале»)."""
    return text[:1].upper() + text[1:]


def _day(value) -> str:
    return value.strftime("%d.%m.%Y")


def title(period: Period) -> str:
    """The period's short name, for headings and table columns: «2021 год», «II квартал 2021», «май 2021»."""
    if period.kind == YEAR:
        return _("%(year)d год", year=period.start.year)
    if period.kind == QUARTER:
        return _("%(q)s квартал %(year)d", q=QUARTERS[(period.start.month - 1) // 3], year=period.start.year)
    if period.kind == MONTH:
        return f"{MONTHS[period.start.month - 1]} {period.start.year}"
    if period.kind == WEEK:
        return _("неделя %(start)s–%(end)s", start=period.start.strftime("%d.%m"), end=_day(period.end))
    return f"{_day(period.start)}–{_day(period.end)}"


def over(period: Period) -> str:
    """«за 2021 год», «за II квартал 2021 года», «за май 2021 года», «за период с … по …»."""
    if period.kind == YEAR:
        return _("за %(year)d год", year=period.start.year)
    if period.kind == QUARTER:
        return _("за %(q)s квартал %(year)d года", q=QUARTERS[(period.start.month - 1) // 3], year=period.start.year)
    if period.kind == MONTH:
        return _("за %(month)s %(year)d года", month=MONTHS[period.start.month - 1], year=period.start.year)
    if period.kind == WEEK:
        return _("за неделю с %(start)s по %(end)s", start=_day(period.start), end=_day(period.end))
    return _("за период с %(start)s по %(end)s", start=_day(period.start), end=_day(period.end))


def within(period: Period) -> str:
    """«в 2021 году», «во II квартале 2021 года», «в мае 2021 года», «с … по …»."""
    if period.kind == YEAR:
        return _("в %(year)d году", year=period.start.year)
    if period.kind == QUARTER:
        return _("%(q)s %(year)d года", q=QUARTERS_IN[(period.start.month - 1) // 3], year=period.start.year)
    if period.kind == MONTH:
        return _("в %(month)s %(year)d года", month=MONTHS_IN[period.start.month - 1], year=period.start.year)
    return _("с %(start)s по %(end)s", start=_day(period.start), end=_day(period.end))


def compared_with(period: Period) -> str:
    """«с 2020 годом», «со II кварталом 2020 года», «с маем 2020 года», «с периодом с … по …»."""
    if period.kind == YEAR:
        return _("с %(year)d годом", year=period.start.year)
    if period.kind == QUARTER:
        return _("%(q)s %(year)d года", q=QUARTERS_WITH[(period.start.month - 1) // 3], year=period.start.year)
    if period.kind == MONTH:
        return _("с %(month)s %(year)d года", month=MONTHS_WITH[period.start.month - 1], year=period.start.year)
    if period.kind == WEEK:
        return _("с неделей с %(start)s по %(end)s", start=_day(period.start), end=_day(period.end))
    return _("с периодом с %(start)s по %(end)s", start=_day(period.start), end=_day(period.end))


def in_prose(name: str) -> str:
    """A topic's name inside a sentence, as the seed writes «дороги (39,6%)»: a capital first letter lowered
    unless the name is an abbreviation (ЖКХ)."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


def paragraph(report) -> str:
    """The paragraph of an annual report, in the seed's words, from the report's figures (plain text: the page
    escapes it like any other text)."""
    sentences = [_growth(report)]
    outside = [f"{row.name} — {number(row.answered)}" for row in report.channels
               if not row.in_incident_management and row.answered]
    listed = f" ({'; '.join(outside)})" if outside else ""
    sentences.insert(0, _("%(over)s даны ответы на %(im)s по системе Инцидент-менеджмента и на %(other)s в "
                          "социальных сетях, не включенных в систему%(listed)s.",
                          over=capital(over(report.period)), im=messages(report.im.answered),
                          other=messages(report.outside.answered), listed=listed))
    if report.period.days >= 7 and whole(report.handled_per_week):
        sentences.append(_("В среднем еженедельно структурными подразделениями обрабатывается %(n)s жителей.",
                           n=messages(whole(report.handled_per_week))))
    top = [row for row in report.topics if row.topic_id is not None][:TOP_TOPICS]
    if top:
        sentences.append(_("Наиболее популярные среди тем сообщений: %(topics)s.", topics=", ".join(
            f"{in_prose(row.name)} ({percent(row.share)})" for row in top)))
    if report.total.answered:
        sentence = _("Первый ответ в установленный срок дан на %(n)s (%(share)s от сообщений с ответом)",
                     n=messages(report.total.on_time), share=percent(report.total.on_time_share))
        if report.total.median_hours is not None:
            sentence += _("; медиана времени до первого ответа — %(h)s", h=hours(report.total.median_hours))
        sentences.append(sentence + ".")
    return " ".join(sentences)


def _growth(report) -> str:
    """«Рост количества сообщений по сравнению с 2020 годом составил 13 % (в 2020 году — 13 120 сообщений, в 2021
    году — 14 827 сообщений).»"""
    base, now = report.year_before, report.period
    was, became = report.total.year_before, report.total.received
    figures = _("(%(then)s — %(was)s, %(now)s — %(became)s)", then=within(base), was=messages(was),
                now=within(now), became=messages(became))
    if not was:
        return _("%(then)s сообщений не было, %(now)s — %(became)s.", then=capital(within(base)),
                 now=within(now), became=messages(became))
    change = (became - was) / was * 100
    shown = percent(abs(change), 0 if abs(change) >= 1 else 1, spaced=True)
    if became > was:
        return _("Рост количества сообщений по сравнению %(with)s составил %(p)s %(figures)s.",
                 **{"with": compared_with(base), "p": shown, "figures": figures})
    if became < was:
        return _("Снижение количества сообщений по сравнению %(with)s составило %(p)s %(figures)s.",
                 **{"with": compared_with(base), "p": shown, "figures": figures})
    return _("Количество сообщений по сравнению %(with)s не изменилось %(figures)s.",
             **{"with": compared_with(base), "figures": figures})
