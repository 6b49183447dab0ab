# Inspector faults (issue #6): processes vanishing mid-snapshot under thousands of
# short-lived lockers (lockchurn), processes and a scanner of another user (inspectagent),
# and Redis scans during a forced lease release. redis-server missing fails, never skips.
add_executable(lockchurn lockchurn.cpp)
add_executable(inspectagent inspectagent.cpp)
target_link_libraries(inspectagent PRIVATE portalocker::inspect)

lockscope_add_test(tst_stress_inspect SOURCES tst_stress_inspect.cpp inspectleasebreak.cpp TIMEOUT 600
    LIBS portalocker::inspect)
add_dependencies(tst_stress_inspect lockchurn inspectagent lockctl)
set_property(TEST tst_stress_inspect APPEND PROPERTY ENVIRONMENT
    "LOCKSCOPE_LOCKCHURN=$<TARGET_FILE:lockchurn>"
    "LOCKSCOPE_INSPECTAGENT=$<TARGET_FILE:inspectagent>")
set_property(TEST tst_stress_inspect APPEND PROPERTY LABELS redis)
