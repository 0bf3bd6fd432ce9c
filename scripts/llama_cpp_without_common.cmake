# Read right after llama.cpp's project() while llama-cpp-python is built (scripts/local_llm.py
# passes it as CMAKE_PROJECT_llama.cpp_INCLUDE). llama-cpp-python forces llama.cpp's "common"
# utility library on, but its Python package loads only libllama and libggml; the library (JSON,
# chat templates, argument parsing) is half of the build's time on two cores. A normal variable
# takes precedence over the forced cache entry for llama.cpp's option() (CMake policy CMP0077).
set(LLAMA_BUILD_COMMON OFF)
