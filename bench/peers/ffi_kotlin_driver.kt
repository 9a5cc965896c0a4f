// docksandbox's Kotlin binding (sandbox-ffi, uniffi) as a peer row for docksandbox-bench: one
// request line in, elapsed milliseconds out. Requests: ping | exec_true SANDBOX_NAME (the
// `suspend` call) | exec_true_blocking SANDBOX_NAME.
// Built by bench/setup-ffi-kotlin.sh.
import dev.docksandbox.Client
import dev.docksandbox.Sandbox
import kotlinx.coroutines.runBlocking

fun main() {
    val client = Client()
    val handles = HashMap<String, Sandbox>()
    while (true) {
        val line = readLine() ?: break
        val parts = line.trim().split(" ")
        try {
            val ms = runBlocking {
                var t = System.nanoTime()
                when (parts[0]) {
                    "ping" -> client.list()
                    "exec_true", "exec_true_blocking" -> {
                        val sb = handles.getOrPut(parts[1]) {
                            client.get(parts[1]).also { t = System.nanoTime() }
                        }
                        val out = if (parts[0] == "exec_true") {
                            sb.exec(listOf("true"), null)
                        } else {
                            sb.execBlocking(listOf("true"), null)
                        }
                        check(out.exitCode == 0L) { "exit ${out.exitCode}" }
                    }
                    else -> error("unknown request ${parts[0]}")
                }
                (System.nanoTime() - t) / 1e6
            }
            println(ms)
        } catch (e: Exception) {
            println("error: ${e.message?.replace('\n', ' ')}")
        }
        System.out.flush()
    }
}
