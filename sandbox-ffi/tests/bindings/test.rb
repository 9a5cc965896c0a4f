# uniffi's Ruby binding against the real engine (blocking calls: uniffi's Ruby has no async).
require 'io/wait'
require 'tmpdir'
require 'docksandbox'

image = ENV.fetch('DOCKSANDBOX_FFI_IMAGE', 'docksandbox/busybox:test')
labels = { 'dev.docksandbox.test-run' => ENV.fetch('DOCKSANDBOX_TEST_RUN', 'ffi-ruby') }
ws = File.realpath(Dir.mktmpdir('docksandbox-ffi-rb'))

client = Docksandbox::Client.new(nil)
sb = client.run_blocking(Docksandbox::SandboxSpec.new(workspace: ws, agent: 'shell', template: image, network: 'none', labels: labels))
begin
  out = sb.exec_blocking(['pwd'], nil)
  raise "pwd: #{out.inspect}" unless out.exit_code == 0 && out.stdout.strip == ws
  sb.write_file_blocking("#{ws}/f.txt", 'from ruby')
  raise 'read back' unless sb.read_file_blocking("#{ws}/f.txt") == 'from ruby'
  begin
    client.run_blocking(Docksandbox::SandboxSpec.new(workspace: ws, agent: 'shell', template: image, memory: 'lots', labels: labels))
    raise 'an invalid memory was accepted'
  rescue Docksandbox::DocksandboxError::InvalidSpec => e
    raise "field #{e.field}" unless e.field == 'memory'
  end
ensure
  sb.rm_blocking
end
puts 'ruby: ok'
