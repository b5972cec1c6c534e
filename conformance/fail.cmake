# Makes a ctest case fail with a message: cmake -DMESSAGE=… -P fail.cmake
message(FATAL_ERROR "${MESSAGE}")
