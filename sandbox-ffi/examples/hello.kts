import dev.docksandbox.*
import kotlinx.coroutines.runBlocking

runBlocking {
    val ws = java.nio.file.Files.createTempDirectory("hello").toRealPath().toString()
    val sb = Client().run(SandboxSpec(workspace = ws, agent = "shell", template = "docksandbox/busybox:test", network = "none"))
    val out = sb.exec(listOf("sh", "-c", "echo hello from \$(pwd)"), null)
    println(String(out.stdout))
    sb.remove()
}
