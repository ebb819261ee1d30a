"""Field work: «Мои задачи» on the phone, progress steps, photos as proof."""


def init_app(app):
    """Register the field pages (my tasks, a task's sends, the photos)."""
    # app factory: the views load when the app is made, never when a module imports this area
    from . import views

    app.register_blueprint(views.bp)
