"""Notifications: the bell, the «Уведомления» page, the «Профиль» page; rows made by the deadline sweep and sent
by RQ jobs by e-mail and Telegram (docs/notifications.md)."""


def init_app(app):
    """Register the notifications pages."""
    # app factory: the views load when the app is made, never when a module imports this area
    from . import views

    app.register_blueprint(views.bp)
