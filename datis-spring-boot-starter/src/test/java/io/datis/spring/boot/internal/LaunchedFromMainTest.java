package io.datis.spring.boot.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * When a pipeline failure may end the process: only when {@code SpringApplication.run} was called
 * from a {@code main} method that the JVM, or Spring Boot's launcher, started. The stacks are those
 * of the thread that runs {@code SpringApplication.run}, innermost frame first, as {@link
 * StackWalker} shows them (without reflection frames).
 */
class LaunchedFromMainTest {

  private static final String[] RUN = {
    "org.springframework.boot.SpringApplicationRunListeners.started",
    "org.springframework.boot.SpringApplication.run",
    "org.springframework.boot.SpringApplication.run",
    "org.springframework.boot.SpringApplication.run"
  };

  @Test
  void aMainMethodStartedByTheJvm() {
    assertThat(PipelineFailureExit.launchedFromMain(stack(RUN, "com.example.ShopApplication.main")))
        .isTrue();
  }

  @Test
  void aMainMethodStartedByJavaDashJar() {
    assertThat(
            PipelineFailureExit.launchedFromMain(
                stack(
                    RUN,
                    "com.example.ShopApplication.main",
                    "org.springframework.boot.loader.launch.Launcher.launch",
                    "org.springframework.boot.loader.launch.Launcher.launch",
                    "org.springframework.boot.loader.launch.JarLauncher.main")))
        .isTrue();
  }

  @Test
  void aMainMethodUsingTheBuilderOrRestartedByDevTools() {
    assertThat(
            PipelineFailureExit.launchedFromMain(
                stack(
                    RUN,
                    "org.springframework.boot.builder.SpringApplicationBuilder.run",
                    "com.example.ShopApplication.main",
                    "org.springframework.boot.devtools.restart.RestartLauncher.run")))
        .isTrue();
  }

  @Test
  void aTestMainStartingTheApplicationsMainWithSpringApplicationFrom() {
    assertThat(
            PipelineFailureExit.launchedFromMain(
                stack(
                    RUN,
                    "com.example.ShopApplication.main",
                    "org.springframework.boot.SpringApplication.withHook",
                    "org.springframework.boot.SpringApplication$Augmented.run",
                    "com.example.TestShopApplication.main")))
        .isTrue();
  }

  @Test
  void notATestCallingMain() {
    assertThat(
            PipelineFailureExit.launchedFromMain(
                stack(
                    RUN,
                    "com.example.ShopApplication.main",
                    "com.example.ShopApplicationTest.startsFromMain",
                    "org.junit.platform.commons.util.ReflectionUtils.invokeMethod",
                    "org.apache.maven.surefire.booter.ForkedBooter.main")))
        .isFalse();
  }

  @Test
  void notASpringBootTest() {
    assertThat(
            PipelineFailureExit.launchedFromMain(
                stack(
                    RUN,
                    "org.springframework.boot.test.context.SpringBootContextLoader.lambda$loadContext$3",
                    "org.springframework.boot.SpringApplication.withHook",
                    "org.springframework.boot.test.context.SpringBootContextLoader$ContextLoaderHook.run",
                    "org.springframework.boot.test.context.SpringBootContextLoader.loadContext",
                    "org.springframework.test.context.cache.DefaultCacheAwareContextLoaderDelegate"
                        + ".loadContext",
                    "org.apache.maven.surefire.booter.ForkedBooter.main")))
        .isFalse();
  }

  @Test
  void notAServletContainerOrAThreadOfTheApplication() {
    assertThat(
            PipelineFailureExit.launchedFromMain(
                stack(
                    RUN,
                    "org.springframework.boot.web.servlet.support.SpringBootServletInitializer"
                        + ".onStartup",
                    "org.apache.catalina.core.StandardContext.startInternal",
                    "org.apache.catalina.startup.Bootstrap.main")))
        .isFalse();
    assertThat(
            PipelineFailureExit.launchedFromMain(
                stack(RUN, "com.example.Starter.run", "java.lang.Thread.run")))
        .isFalse();
  }

  @Test
  void notWithoutSpringApplication() {
    assertThat(
            PipelineFailureExit.launchedFromMain(
                stack(
                    new String[] {
                      "org.springframework.context.support.AbstractApplicationContext.refresh"
                    },
                    "com.example.ShopApplication.main")))
        .isFalse();
  }

  private static List<StackTraceElement> stack(String[] innermost, String... outer) {
    List<StackTraceElement> stack = new ArrayList<>();
    for (String frame : innermost) {
      stack.add(element(frame));
    }
    for (String frame : outer) {
      stack.add(element(frame));
    }
    return stack;
  }

  private static StackTraceElement element(String frame) {
    int dot = frame.lastIndexOf('.');
    return new StackTraceElement(frame.substring(0, dot), frame.substring(dot + 1), null, -1);
  }
}
