// Bindings of the Rust signal crate's parameters and names.
#include <pybind11/pybind11.h>

#include "mmsim_signals.h"

namespace py = pybind11;

void bind_signals(py::module_ &m) {
    py::class_<MmsimSignalParams>(m, "SignalParams")
        .def(py::init([] {
            MmsimSignalParams p{};
            mmsim_signals_params_default(&p);
            return p;
        }))
        .def_readwrite("depth_levels", &MmsimSignalParams::depth_levels)
        .def_readwrite("depth_decay", &MmsimSignalParams::depth_decay)
        .def_readwrite("ofi_half_life_ns", &MmsimSignalParams::ofi_half_life_ns)
        .def_readwrite("trade_flow_half_life_ns", &MmsimSignalParams::trade_flow_half_life_ns)
        .def_readwrite("vol_half_life_ns", &MmsimSignalParams::vol_half_life_ns)
        .def_readwrite("hawkes_half_life_ns", &MmsimSignalParams::hawkes_half_life_ns)
        .def_readwrite("hawkes_alpha", &MmsimSignalParams::hawkes_alpha)
        .def_readwrite("hawkes_baseline", &MmsimSignalParams::hawkes_baseline)
        .def_readwrite("vpin_bucket_volume", &MmsimSignalParams::vpin_bucket_volume)
        .def_readwrite("vpin_buckets", &MmsimSignalParams::vpin_buckets);
    py::list names;
    for (int64_t i = 0; i < mmsim_signals_count(); ++i) names.append(mmsim_signals_name(i));
    m.attr("SIGNAL_NAMES") = names;
    m.attr("SIGNAL_PARAMS_SIZE") = sizeof(MmsimSignalParams);
}
