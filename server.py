"""The WSGI entry point. The endpoint (issue 3) builds the app here."""
