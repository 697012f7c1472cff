package io.datis.spring.boot.internal;

import io.datis.api.ConfigurationException;
import io.datis.api.DatisException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a start that Datis stopped: its message, which names every problem and its fix, and what
 * to do.
 */
public final class DatisFailureAnalyzer extends AbstractFailureAnalyzer<DatisException> {

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, DatisException cause) {
    String action =
        cause instanceof ConfigurationException
            ? "Correct the settings named above. The \"Spring Boot\" section of Datis's README"
                + " lists the datis.* properties."
            : "Fix what the message above describes and start the application again. To let the"
                + " application start while a pipeline cannot, set"
                + " datis.stop-application-on-pipeline-failure=false: the pipeline's health then"
                + " says DOWN, with the reason.";
    return new FailureAnalysis(cause.getMessage(), action, cause);
  }
}
