// The one translator of the engine's C++ exceptions into mmsim's Python exceptions:
// DataError -> mmsim.DataError (with `index`), StrategyFailure -> mmsim.StrategyError
// (with `code` and `local_ts`). mmsim.engine adds the strategy's name to the latter.
#include <pybind11/pybind11.h>

#include "mmsim/errors.hpp"

namespace py = pybind11;

namespace {
py::object errors_module() {
    PYBIND11_CONSTINIT static py::gil_safe_call_once_and_store<py::object> storage;
    return storage.call_once_and_store_result([] { return py::module_::import("mmsim.errors"); }).get_stored();
}

void raise(const char *cls, const char *what, const py::dict &attrs) {
    py::object exc = errors_module().attr(cls)(what);
    for (auto item : attrs) exc.attr(item.first) = item.second;
    PyErr_SetObject(reinterpret_cast<PyObject *>(Py_TYPE(exc.ptr())), exc.ptr());
}
}  // namespace

void bind_errors(py::module_ &) {
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const mmsim::DataError &e) {
            py::dict a;
            a["index"] = e.index;
            raise("DataError", e.what(), a);
        } catch (const mmsim::StrategyFailure &e) {
            py::dict a;
            a["code"] = e.code;
            a["local_ts"] = e.local_ts;
            raise("StrategyError", e.what(), a);
        }
    });
}
