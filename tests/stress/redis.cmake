# Redis mutual exclusion, chaos and server faults (issue #6): RedisLock (with Python
# portalocker 2.2.1 holders, redisstresscounter.py, mixed in) and RedisLease, each process a
# redisstressworker, all against the test's own redis-server.
add_executable(redisstressworker redisstressworker.cpp)
target_link_libraries(redisstressworker PRIVATE portalocker::portalocker)

lockscope_add_test(tst_stress_redis SOURCES tst_stress_redis.cpp TIMEOUT 600
    LIBS portalocker::portalocker)
set_property(TEST tst_stress_redis APPEND PROPERTY ENVIRONMENT
    "LOCKSCOPE_REDISSTRESSWORKER=$<TARGET_FILE:redisstressworker>"
    "LOCKSCOPE_REDISSTRESSCOUNTER=${CMAKE_CURRENT_SOURCE_DIR}/redisstresscounter.py"
    "LOCKSCOPE_PORTALOCKER4=${PROJECT_SOURCE_DIR}/tests/support/portalocker4.py")
set_property(TEST tst_stress_redis APPEND PROPERTY LABELS redis)
add_dependencies(tst_stress_redis redisstressworker)
