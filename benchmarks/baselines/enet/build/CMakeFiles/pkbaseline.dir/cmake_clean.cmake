file(REMOVE_RECURSE
  "CMakeFiles/pkbaseline.dir/pkbaseline.c.o"
  "CMakeFiles/pkbaseline.dir/pkbaseline.c.o.d"
  "libpkbaseline.pdb"
  "libpkbaseline.so"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/pkbaseline.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
