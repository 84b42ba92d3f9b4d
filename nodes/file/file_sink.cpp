#include "nodes/file/file_sink.hpp"

#include "engine/context.hpp"
#include "engine/metrics.hpp"

#include <fmt/format.h>

namespace flowrun {

void FileSink::close(RunContext&, Emitter& out) {
  file_->finish();  // a WriteError here leaves every record held: the engine counts them unwritten
  finished_ = true;
  out.written(records_.load());
}

void FileSink::after_run(RunContext& ctx, const RunSummary& s) {
  if (!file_) return;
  if (!finished_) {  // close() failed or never came: the records are counted unwritten already
    file_->discard();
    return;
  }
  if (s.exit_code != 0 && !publish_on_failure()) {
    // A failed or interrupted run leaves the previous file as it was; say what was not published.
    file_->discard();
    ctx.warn(fmt::format("{} {} not published to {} ({}): the run {}; the previous file is kept", records_.load(),
                         what(), path_, id_, s.status == "interrupted" ? "was interrupted" : "failed"));
    return;
  }
  file_->publish();
  ctx.add_output({id_, path_, records_.load(), what()});
}

}  // namespace flowrun
