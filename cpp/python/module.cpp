// mmsim._engine: the pybind11 module. Only a list of bind_* calls.
#include <pybind11/pybind11.h>

namespace py = pybind11;

void bind_errors(py::module_ &m);
void bind_events(py::module_ &m);
void bind_engine(py::module_ &m);
void bind_signals(py::module_ &m);

PYBIND11_MODULE(_engine, m) {
    m.doc() = "mmsim compiled core: C++ replay engine with Rust signals linked in";
    m.attr("ENUMS") = py::dict();  // name -> {member: value}, filled by the bind_* calls
    bind_errors(m);
    bind_events(m);
    bind_engine(m);
    bind_signals(m);
}
