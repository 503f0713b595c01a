"""pytest plugin registered by chatrec (entry point `pytest11`); conversation collection lives here."""
