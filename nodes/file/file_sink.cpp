#include "nodes/file/file_sink.hpp"

#include "engine/context.hpp"
#include "engine/metrics.hpp"

namespace flowrun {

void FileSink::close(RunContext&, Emitter& out) {
  file_->finish();  // a WriteError here leaves every record held: the engine counts them unwritten
  finished_ = true;
  out.written(records_.load());
}

void FileSink::after_run(RunContext& ctx, const RunSummary&) {
  if (!file_) return;
  // What close() synced was counted written, so it is published whatever the run's outcome;
  // a sink that could not finish leaves the previous file as it was.
  if (!finished_) {
    file_->discard();
    return;
  }
  file_->publish();
  ctx.add_output({id_, path_, records_.load(), what()});
}

}  // namespace flowrun
