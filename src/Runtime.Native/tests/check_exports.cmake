# Checks that a shared library's dynamic symbol table exports exactly the
# functions its public header declares with PK_NATIVE_API: none missing, none
# extra. Run by CTest as:
#   cmake -DNM=<nm> -DLIBRARY=<lib.so> -DHEADER=<peerkit_native.h> -P check_exports.cmake
cmake_minimum_required(VERSION 3.16)

foreach(var NM LIBRARY HEADER)
    if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
        message(FATAL_ERROR "check_exports.cmake: -D${var}=... is required")
    endif()
endforeach()
foreach(file "${LIBRARY}" "${HEADER}")
    if(NOT EXISTS "${file}")
        message(FATAL_ERROR "check_exports.cmake: ${file} does not exist")
    endif()
endforeach()

# Expected: every declaration line of the form `PK_NATIVE_API <type> <name>(...)`.
file(STRINGS "${HEADER}" declarations REGEX "^PK_NATIVE_API[ \t]")
set(expected "")
foreach(declaration IN LISTS declarations)
    if(declaration MATCHES "([A-Za-z_][A-Za-z0-9_]*)[ \t]*\\(")
        list(APPEND expected "${CMAKE_MATCH_1}")
    endif()
endforeach()
list(REMOVE_DUPLICATES expected)
list(SORT expected)
if(NOT expected)
    message(FATAL_ERROR "no PK_NATIVE_API declarations found in ${HEADER}")
endif()

# Actual: defined symbols of the dynamic symbol table.
execute_process(
    COMMAND "${NM}" -D --defined-only "${LIBRARY}"
    OUTPUT_VARIABLE nm_output
    ERROR_VARIABLE nm_error
    RESULT_VARIABLE nm_result)
if(NOT nm_result EQUAL 0)
    message(FATAL_ERROR "${NM} -D --defined-only ${LIBRARY} failed (${nm_result}): ${nm_error}")
endif()

string(REPLACE "\n" ";" nm_lines "${nm_output}")
set(actual "")
foreach(line IN LISTS nm_lines)
    # "<address> <type> <name>[@version]"
    if(line MATCHES "^[0-9A-Fa-f]*[ \t]+[A-Za-z][ \t]+([^ \t@]+)")
        list(APPEND actual "${CMAKE_MATCH_1}")
    endif()
endforeach()
list(REMOVE_DUPLICATES actual)
list(SORT actual)

set(missing "${expected}")
if(actual)
    list(REMOVE_ITEM missing ${actual})
endif()
set(unexpected "${actual}")
list(REMOVE_ITEM unexpected ${expected})

message(STATUS "declared in header: ${expected}")
message(STATUS "exported by library: ${actual}")
if(missing OR unexpected)
    message(FATAL_ERROR
        "exported symbols of ${LIBRARY} do not match the PK_NATIVE_API declarations in ${HEADER}\n"
        "  missing (declared, not exported): ${missing}\n"
        "  unexpected (exported, not declared): ${unexpected}\n"
        "Give internal functions static linkage or leave them out of PK_NATIVE_API.")
endif()
