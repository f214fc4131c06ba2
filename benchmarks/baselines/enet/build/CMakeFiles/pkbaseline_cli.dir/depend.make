# Empty dependencies file for pkbaseline_cli.
# This may be replaced when dependencies are built.
