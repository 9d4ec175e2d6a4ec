"""The WSGI entry point: ``gunicorn server:app`` serves the latest release (PSFKG_* settings)."""

from psfkg.web import create_app

app = create_app()
