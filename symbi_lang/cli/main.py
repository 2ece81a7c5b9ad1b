"""The `symbi` command (placeholder until the CLI lands)."""


def main() -> None:
    raise SystemExit("symbi: CLI not built yet")
