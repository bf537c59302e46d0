#include <pybind11/pybind11.h>
#include "mmsim/event.hpp"
namespace py = pybind11;
void bind_events(py::module_ &m) { m.attr("EVENT_SIZE") = sizeof(mmsim::Event); }
