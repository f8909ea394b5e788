"""``python -m vidensdata …``: the same command line as the ``vidensdata`` script."""

from vidensdata.cli import main

if __name__ == "__main__":
    main(prog_name="vidensdata")
