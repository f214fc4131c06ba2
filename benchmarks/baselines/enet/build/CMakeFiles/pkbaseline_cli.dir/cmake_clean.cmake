file(REMOVE_RECURSE
  "CMakeFiles/pkbaseline_cli.dir/cli.c.o"
  "CMakeFiles/pkbaseline_cli.dir/cli.c.o.d"
  "pkbaseline_cli"
  "pkbaseline_cli.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/pkbaseline_cli.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
