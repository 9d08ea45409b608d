"""`python -m cli` runs the operators' CLI, as the `tongban` command does."""

from cli.main import main

raise SystemExit(main())
