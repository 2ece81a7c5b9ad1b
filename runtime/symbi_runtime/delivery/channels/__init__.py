"""The built-in delivery channels: stdout, log_file, webhook, slack, email."""
