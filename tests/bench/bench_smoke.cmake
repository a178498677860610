# signet-bench smoke test (ctest label bench-smoke): runs the benchmark at a
# tiny scale and checks that it exits 0 and writes JSON with the keys the
# report promises. It asserts no speed: figures only have to be present.
#
#   cmake -DBENCH=<signet-bench> -DSIGNET=<signet> -DOUT=<json> -DWORK=<dir> -P bench_smoke.cmake
cmake_minimum_required(VERSION 3.25)  # IN_LIST, string(JSON)

foreach(var BENCH SIGNET OUT WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "bench_smoke.cmake needs -D${var}=...")
  endif()
endforeach()

file(REMOVE "${OUT}")
file(MAKE_DIRECTORY "${WORK}")
execute_process(
  COMMAND "${BENCH}" --signet "${SIGNET}" --workdir "${WORK}" --scales 200 --phases remember,recall --quick
          --json "${OUT}"
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err
  TIMEOUT 120)
if(NOT rc STREQUAL "0")
  message(FATAL_ERROR "signet-bench exited with ${rc}\n--- stdout\n${out}\n--- stderr\n${err}")
endif()
if(NOT EXISTS "${OUT}")
  message(FATAL_ERROR "signet-bench wrote no JSON to ${OUT}\n${out}")
endif()
file(READ "${OUT}" doc)

# get(<var> <path...>): the value at the path, or a failure naming the path.
macro(get var)
  string(JSON ${var} ERROR_VARIABLE get_error GET "${doc}" ${ARGN})
  if(get_error)
    message(FATAL_ERROR "JSON has no ${ARGN}: ${get_error}\n${out}")
  endif()
endmacro()

get(tool tool)
if(NOT tool STREQUAL "signet-bench")
  message(FATAL_ERROR "JSON \"tool\" is \"${tool}\"")
endif()
foreach(key cpu_model cpus ram_bytes kernel workdir_fs)
  get(value machine ${key})
endforeach()
get(errors errors_total)
if(NOT errors EQUAL 0)
  message(FATAL_ERROR "the run reports ${errors} failed requests\n${out}")
endif()
get(ok ok)
if(NOT ok)
  message(FATAL_ERROR "the run reports ok=false\n${out}")
endif()

# Every expected row, each with its figures.
string(JSON n ERROR_VARIABLE length_error LENGTH "${doc}" rows)
if(length_error)
  message(FATAL_ERROR "JSON has no rows array: ${length_error}")
endif()
set(ids "")
if(n GREATER 0)
  math(EXPR last "${n} - 1")
  foreach(i RANGE ${last})
    get(id rows ${i} id)
    list(APPEND ids "${id}")
    string(MAKE_C_IDENTIFIER "${id}" key)
    set(index_${key} ${i})
  endforeach()
endif()
foreach(id remember.c1 remember.c8 load@200 recall.c8@200 recall.c1@200)
  if(NOT id IN_LIST ids)
    message(FATAL_ERROR "no row \"${id}\" in the JSON (rows: ${ids})")
  endif()
  string(MAKE_C_IDENTIFIER "${id}" key)
  foreach(figure ops_per_s p50_ms p99_ms errors requests)
    get(value rows ${index_${key}} figures ${figure})
  endforeach()
  get(verdict rows ${index_${key}} verdict)
endforeach()
# Targets are attached where the issue sets them (whether met is not checked).
get(target rows ${index_remember_c1} targets 0 figure)
get(upstream rows ${index_remember_c1} upstream text)
message(STATUS "signet-bench smoke: rows ${ids}")
