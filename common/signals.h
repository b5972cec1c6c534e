// SIGTERM/SIGINT handling for the long-running programs (the server, the
// validator service): the signals are blocked in every thread and one
// thread waits for them with sigwait().
#pragma once

namespace certme {

// Blocks SIGTERM and SIGINT in the calling thread; threads created after it
// inherit the mask. Call first thing in main(). HttpServer::Start also keeps
// them out of its own threads, so only a sigwait()er ever sees them.
void BlockTerminationSignals();
// Blocks until SIGTERM or SIGINT arrives (sigwait). Blocks
// the signals itself first; for that to be race-free in a process with other
// threads, call BlockTerminationSignals() before creating them.
void WaitForTerminationSignal();

}  // namespace certme
