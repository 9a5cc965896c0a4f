# Sourced (`. sandbox-ffi/env.sh`): the FFI tests' toolchains from sandbox-ffi/toolchains.sh on
# PATH and CLASSPATH (kotlinc, JNA, kotlinx-coroutines).
docksandbox_kotlin="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/target/toolchains/kotlin/node_modules/kotlin-compiler"
export PATH="$docksandbox_kotlin/bin:$PATH"
export CLASSPATH="/usr/share/java/jna.jar:$docksandbox_kotlin/lib/kotlinx-coroutines-core-jvm.jar${CLASSPATH:+:$CLASSPATH}"
unset docksandbox_kotlin
