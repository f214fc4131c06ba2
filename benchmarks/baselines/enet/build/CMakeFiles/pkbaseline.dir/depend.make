# Empty dependencies file for pkbaseline.
# This may be replaced when dependencies are built.
