"""Helpers the loopback server scripts share (server-load.py, prompt-cache.py, openai-client-test.py)."""
import signal, socket, subprocess

def free_port():
    """A TCP port the OS says is free on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def stop(server):
    """SIGTERM (a graceful shutdown, as a service manager sends), then SIGKILL if it has not exited within 10 s."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
