// The Kotlin binding against the real engine: run, exec, files, streaming, errors,
// concurrency, cancellation. Run by `cargo test -p docksandbox-ffi` (uniffi's harness).
import dev.docksandbox.*
import kotlinx.coroutines.*
import java.nio.file.Files

val image = System.getenv("DOCKSANDBOX_FFI_IMAGE") ?: "docksandbox/busybox:test"
val runLabel = mapOf("dev.docksandbox.test-run" to (System.getenv("DOCKSANDBOX_TEST_RUN") ?: "ffi-kotlin"))
val ws = Files.createTempDirectory("docksandbox-ffi-kt").toRealPath().toString()

class Collect : ExecListener {
    val out = StringBuilder()
    var exit: Long? = null
    override fun onStdout(data: ByteArray) { out.append(String(data)) }
    override fun onStderr(data: ByteArray) {}
    override fun onExit(exitCode: Long) { exit = exitCode }
}

class Throws : ExecListener {
    override fun onStdout(data: ByteArray) { throw IllegalStateException("listener refused") }
    override fun onStderr(data: ByteArray) {}
    override fun onExit(exitCode: Long) {}
}

runBlocking {
    val client = Client()
    val sb = client.run(SandboxSpec(workspace = ws, agent = "shell", template = image, network = "none", labels = runLabel))
    try {
        // The workspace is at its own path inside.
        val pwd = sb.exec(listOf("pwd"), null)
        assert(pwd.exitCode == 0L) { "pwd failed: $pwd" }
        assert(String(pwd.stdout).trim() == ws) { "pwd: ${String(pwd.stdout)} != $ws" }

        // Files both ways, through the workspace and outside it.
        sb.writeFile("$ws/hello.txt", "hi from kotlin".toByteArray())
        assert(String(sb.readFile("$ws/hello.txt")) == "hi from kotlin")
        assert(java.io.File("$ws/hello.txt").readText() == "hi from kotlin")

        // Streaming through a listener.
        val c = Collect()
        val code = sb.execStream(listOf("sh", "-c", "echo one; echo two; exit 3"), null, c)
        assert(code == 3L && c.exit == 3L) { "exit $code / ${c.exit}" }
        assert(c.out.toString() == "one\ntwo\n") { "streamed: ${c.out}" }

        // A listener that throws becomes an error of the call, not a crash.
        try {
            sb.execStream(listOf("echo", "x"), null, Throws())
            throw AssertionError("a throwing listener did not fail the call")
        } catch (e: DocksandboxException.Other) {
            assert(e.code == "SANDBOX_ERROR") { e.code }
        }

        // Bad input: the typed error, with its field.
        try {
            client.run(SandboxSpec(workspace = ws, agent = "shell", template = image, memory = "lots", labels = runLabel))
            throw AssertionError("an invalid memory was accepted")
        } catch (e: DocksandboxException.InvalidSpec) {
            assert(e.field == "memory") { "field: ${e.field}" }
            assert(e.code == "INVALID_SPEC")
        }
        try {
            sb.exec(listOf("echo", "a\u0000b"), null)
            throw AssertionError("an argument with NUL was accepted")
        } catch (e: DocksandboxException.InvalidSpec) {
            assert(e.field == "args") { "field: ${e.field}" }
        }
        try {
            sb.exec(listOf("echo", "x".repeat(200_000)), null)
            throw AssertionError("a 200 kB argument was accepted")
        } catch (e: DocksandboxException.InvalidSpec) {
            assert(e.field == "args") { "field: ${e.field}" }
        }
        try {
            client.run(SandboxSpec(workspace = "$ws/a\u0000b", agent = "shell", template = image, labels = runLabel))
            throw AssertionError("a workspace with NUL was accepted")
        } catch (e: DocksandboxException.InvalidSpec) {
            assert(e.field == "workspace") { "field: ${e.field}" }
        }

        // Eight execs at once from coroutines.
        val outs = (1..8).map { i -> async { sb.exec(listOf("sh", "-c", "echo $i"), null) } }.awaitAll()
        assert(outs.map { String(it.stdout).trim() } == (1..8).map { "$it" }) { "concurrent: $outs" }

        // Cancelling the coroutine kills the command inside.
        val job = launch { sb.exec(listOf("sleep", "301"), null) }
        var started = false
        for (i in 1..100) {
            if (String(sb.exec(listOf("ps"), null).stdout).contains("sleep 301")) { started = true; break }
            delay(50)
        }
        assert(started) { "the long command never started" }
        job.cancelAndJoin()
        var gone = false
        for (i in 1..100) {
            if (!String(sb.exec(listOf("ps"), null).stdout).contains("sleep 301")) { gone = true; break }
            delay(50)
        }
        assert(gone) { "the cancelled command still runs in the sandbox" }

        // Blocking variants exist for callers without coroutines.
        assert(String(sb.execBlocking(listOf("echo", "blocking"), null).stdout) == "blocking\n")
        assert(client.list().any { it.name == sb.name() })
    } finally {
        sb.remove()
    }
    try {
        client.inspect(sb.name())
        throw AssertionError("the sandbox is still there after remove")
    } catch (e: DocksandboxException.NotFound) {}
    println("kotlin: ok")
}
