#include "nodes/builtin.hpp"

#include "nodes/file/register.hpp"
#ifdef HAVE_FLOWRUN_NODE_MARICOPA
#include "nodes/maricopa/register.hpp"
#endif
#ifdef HAVE_FLOWRUN_NODE_LISTINGS
#include "nodes/listings/register.hpp"
#endif
#ifdef HAVE_FLOWRUN_NODE_NORMALIZER
#include "nodes/normalizer/register.hpp"
#endif
#ifdef HAVE_FLOWRUN_NODE_VALIDATOR
#include "nodes/validator/register.hpp"
#endif
#ifdef HAVE_FLOWRUN_NODE_LLM
#include "nodes/llm/register.hpp"
#endif
#ifdef HAVE_FLOWRUN_NODE_STORE
#include "nodes/store/register.hpp"
#endif
#ifdef HAVE_FLOWRUN_NODE_REPORT
#include "nodes/report/register.hpp"
#endif
#ifdef HAVE_FLOWRUN_NODE_NATS
#include "nodes/nats/register.hpp"
#endif

namespace flowrun {

void register_builtin_nodes(Registry& r) {
  register_file_nodes(r);
#ifdef HAVE_FLOWRUN_NODE_MARICOPA
  register_maricopa_nodes(r);
#endif
#ifdef HAVE_FLOWRUN_NODE_LISTINGS
  register_listings_nodes(r);
#endif
#ifdef HAVE_FLOWRUN_NODE_NORMALIZER
  register_normalizer_nodes(r);
#endif
#ifdef HAVE_FLOWRUN_NODE_VALIDATOR
  register_validator_nodes(r);
#endif
#ifdef HAVE_FLOWRUN_NODE_LLM
  register_llm_nodes(r);
#endif
#ifdef HAVE_FLOWRUN_NODE_STORE
  register_store_nodes(r);
#endif
#ifdef HAVE_FLOWRUN_NODE_REPORT
  register_report_nodes(r);
#endif
#ifdef HAVE_FLOWRUN_NODE_NATS
  register_nats_nodes(r);
#endif
}

}  // namespace flowrun
