"""The WSGI entry point: ``gunicorn server:app`` serves the latest release (settings from PSFKG_*)."""

from psfkg.web import create_app

app = create_app()
