// replaced by the engine sources
namespace mmsim { int placeholder = 0; }
