package dev.tapedeck.vod;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import dev.tapedeck.testkit.PostgresTestResource;
import dev.tapedeck.testkit.TapedeckTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document at {@code /q/openapi} validates as OpenAPI 3 and describes every endpoint of the application,
 * found by reflection over the REST package's resources: each with its parameters, and each API call with an example
 * answer and its error codes.
 */
@QuarkusTest
@QuarkusTestResource(TapedeckTestResource.class)
@QuarkusTestResource(PostgresTestResource.class)
class OpenApiIT {

    /** Every endpoint the application serves: "METHOD /path", with its path and query parameters. */
    record Endpoint(String method, String path, List<String> parameters) {
    }

    static List<Endpoint> endpoints() throws Exception {
        List<Endpoint> found = new ArrayList<>();
        Path classes = Path.of("target", "classes", "dev", "tapedeck", "vod", "rest");
        List<String> names;
        try (Stream<Path> files = Files.list(classes)) {
            names = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".class") && !n.contains("$"))
                    .map(n -> "dev.tapedeck.vod.rest." + n.substring(0, n.length() - 6)).toList();
        }
        for (String name : names) {
            Class<?> type = Class.forName(name);
            jakarta.ws.rs.Path root = type.getAnnotation(jakarta.ws.rs.Path.class);
            if (root == null) {
                continue;
            }
            for (Method m : type.getDeclaredMethods()) {
                String verb = null;
                for (Annotation a : m.getAnnotations()) {
                    HttpMethod http = a.annotationType().getAnnotation(HttpMethod.class);
                    if (http != null) {
                        verb = http.value();
                    }
                }
                if (verb == null) {
                    continue;
                }
                jakarta.ws.rs.Path sub = m.getAnnotation(jakarta.ws.rs.Path.class);
                String path = root.value() + (sub == null ? "" : sub.value());
                List<String> parameters = new ArrayList<>();
                for (Annotation[] param : m.getParameterAnnotations()) {
                    for (Annotation a : param) {
                        if (a instanceof QueryParam q) {
                            parameters.add(q.value());
                        } else if (a instanceof PathParam p) {
                            parameters.add(p.value());
                        }
                    }
                }
                found.add(new Endpoint(verb, path, parameters));
            }
        }
        return found;
    }

    @Test
    void theDocumentValidatesAndDescribesEveryEndpointWithItsParametersExamplesAndErrors() throws Exception {
        String json = given().get("/q/openapi?format=json").then().statusCode(200).extract().asString();
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(json, null, options);
        assertThat(parsed.getMessages()).as("OpenAPI 3 validation").isEmpty();
        OpenAPI doc = parsed.getOpenAPI();
        assertThat(doc.getOpenapi()).startsWith("3.");

        List<Endpoint> endpoints = endpoints();
        assertThat(endpoints).as("found by reflection").extracting(e -> e.method() + " " + e.path())
                .contains("GET /api/v1/recordings", "GET /api/v1/recordings/{id}", "PATCH /api/v1/recordings/{id}", "DELETE /api/v1/recordings/{id}",
                        "GET /vod/{id}/{file}", "GET /vod/{id}/{rendition}/{file}", "GET /api/v1/live",
                        "GET /api/v1/streams/{app}/{stream}");
        for (Endpoint e : endpoints) {
            String name = e.method() + " " + e.path();
            PathItem item = doc.getPaths().get(e.path());
            assertThat(item).as("%s is in the document", name).isNotNull();
            Operation op = item.readOperationsMap().get(PathItem.HttpMethod.valueOf(e.method().toUpperCase(Locale.ROOT)));
            assertThat(op).as("%s is in the document", name).isNotNull();
            assertThat(op.getSummary()).as("%s has a summary", name).isNotBlank();
            List<String> documented = new ArrayList<>();
            Stream.concat(item.getParameters() == null ? Stream.<Parameter>empty() : item.getParameters().stream(),
                    op.getParameters() == null ? Stream.<Parameter>empty() : op.getParameters().stream())
                    .forEach(p -> documented.add(p.getName()));
            assertThat(documented).as("%s documents its parameters", name).containsAll(e.parameters());
            assertThat(op.getResponses().keySet()).as("%s documents its errors", name)
                    .anyMatch(code -> code.startsWith("4") || code.startsWith("5"));
            if (e.path().startsWith("/api/")) {
                String success = op.getResponses().keySet().stream().filter(code -> code.startsWith("2")).findFirst().orElse(null);
                assertThat(success).as("%s documents its answer", name).isNotNull();
                if (!success.equals("204")) {
                    MediaType body = op.getResponses().get(success).getContent().get("application/json");
                    assertThat(body.getExamples()).as("%s has an example answer", name).isNotEmpty();
                }
                assertThat(op.getResponses().keySet()).as("%s documents auth", name).contains("401");
                for (Map.Entry<String, ApiResponse> r : op.getResponses().entrySet()) {
                    if (r.getKey().startsWith("4") || r.getKey().startsWith("5")) {
                        assertThat(r.getValue().getContent().get("application/json").getSchema()).as("%s %s has a body", name, r.getKey())
                                .isNotNull();
                    }
                }
            }
        }
        given().get("/q/swagger-ui/").then().statusCode(200);
    }
}
