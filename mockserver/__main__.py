"""`python -m mockserver` runs the command-line entry point."""

from mockserver.cli import main

if __name__ == "__main__":
    main()
