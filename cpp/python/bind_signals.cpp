#include <pybind11/pybind11.h>
#include "mmsim_signals.h"
namespace py = pybind11;
void bind_signals(py::module_ &m) {
    py::list names;
    for (int64_t i = 0; i < mmsim_signals_count(); ++i) names.append(mmsim_signals_name(i));
    m.attr("SIGNAL_NAMES") = names;
}
