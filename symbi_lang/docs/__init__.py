"""`symbi docs`: HTML or Markdown documentation of schedules, rendered from the Job IR with jinja2.

Only this package imports jinja2, so `symbi check` does not pay for it.
"""
