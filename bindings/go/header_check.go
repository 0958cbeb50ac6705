package gsp

/*
#include "gsp.h"

// The binding is written for libgsp 0.1: a header of another version stops the build here
// instead of failing later on a missing or changed declaration.
#if GSP_VERSION_MAJOR != 0 || GSP_VERSION_MINOR != 1
#error "github.com/gsp-project/gsp/bindings/go needs libgsp 0.1.x; install the matching libgsp (tools/install.sh) or use a module version that matches yours"
#endif
*/
import "C"

// The Go constants are written as numbers so that their documentation shows them; these
// compile-time checks keep them equal to gsp.h. Each index is a constant that is 0 when the
// values agree; drift either way makes it out of range or overflow, and the package (and so
// every test) stops compiling.
var (
	_ = [1]int{}[DatatypeUnknown-C.GSP_DATATYPE_UNKNOWN]
	_ = [1]int{}[DatatypeDouble-C.GSP_DATATYPE_DOUBLE]
	_ = [1]int{}[DatatypeGauge-C.GSP_DATATYPE_GAUGE]
	_ = [1]int{}[DatatypeCount-C.GSP_DATATYPE_COUNT]
	_ = [1]int{}[DatatypeCounter-C.GSP_DATATYPE_COUNTER]
	_ = [1]int{}[DatatypeLong-C.GSP_DATATYPE_LONG]
	_ = [1]int{}[DatatypeHistogram-C.GSP_DATATYPE_HISTOGRAM]
	_ = [1]int{}[DatatypeBinary-C.GSP_DATATYPE_BINARY]
	_ = [1]int{}[CalctypeInstant-C.GSP_CALCTYPE_INSTANT]
	_ = [1]int{}[CalctypeDifference-C.GSP_CALCTYPE_DIFFERENCE]
	_ = [1]int{}[CalctypeAverage-C.GSP_CALCTYPE_AVERAGE]
	_ = [1]int{}[ScopeServer-C.GSP_SCOPE_SERVER]
	_ = [1]int{}[ScopeApplication-C.GSP_SCOPE_APPLICATION]
	_ = [1]int{}[SeverityInfo-C.GSP_SEVERITY_INFO]
	_ = [1]int{}[SeverityWarning-C.GSP_SEVERITY_WARNING]
	_ = [1]int{}[SeverityError-C.GSP_SEVERITY_ERROR]
	_ = [1]int{}[DiagSpawnFailed-C.GSP_DIAG_SPAWN_FAILED]
	_ = [1]int{}[DiagConfigInvalid-C.GSP_DIAG_CONFIG_INVALID]
	_ = [1]int{}[DiagConfigTimeout-C.GSP_DIAG_CONFIG_TIMEOUT]
	_ = [1]int{}[DiagExitStatus-C.GSP_DIAG_EXIT_STATUS]
	_ = [1]int{}[DiagTimeout-C.GSP_DIAG_TIMEOUT]
	_ = [1]int{}[DiagOutputTruncated-C.GSP_DIAG_OUTPUT_TRUNCATED]
	_ = [1]int{}[DiagLineInvalid-C.GSP_DIAG_LINE_INVALID]
	_ = [1]int{}[DiagUnknownMetric-C.GSP_DIAG_UNKNOWN_METRIC]
	_ = [1]int{}[DiagUnknownEvent-C.GSP_DIAG_UNKNOWN_EVENT]
	_ = [1]int{}[DiagUnknownDimension-C.GSP_DIAG_UNKNOWN_DIMENSION]
	_ = [1]int{}[DiagOverrun-C.GSP_DIAG_OVERRUN]
	_ = [1]int{}[DiagValueClamped-C.GSP_DIAG_VALUE_CLAMPED]
	_ = [1]int{}[DiagRecordsDropped-C.GSP_DIAG_RECORDS_DROPPED]
	_ = [1]int{}[DiagStderr-C.GSP_DIAG_STDERR]
	_ = [1]int{}[DiagSigchldIgnored-C.GSP_DIAG_SIGCHLD_IGNORED]
	_ = [1]int{}[DiagSeriesLimit-C.GSP_DIAG_SERIES_LIMIT]
	_ = [1]int{}[DiagInternal-C.GSP_DIAG_INTERNAL]
)
